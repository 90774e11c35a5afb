CREATE TABLE "denylist" (
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "denylist_kind_value_pk" PRIMARY KEY("kind","value")
);
--> statement-breakpoint
CREATE TABLE "lockout_resets" (
	"user_id" text PRIMARY KEY NOT NULL,
	"reset_at" timestamp with time zone NOT NULL,
	"reset_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_cases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"failed_verification_id" uuid NOT NULL,
	"verification_id" uuid NOT NULL,
	"status" text NOT NULL,
	"failure_code" text NOT NULL,
	"note_cipher" "bytea",
	"approved_by" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decided_by" text,
	"decision_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "review_cases_queue_idx" ON "review_cases" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "review_cases_user_idx" ON "review_cases" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "review_cases_one_open_idx" ON "review_cases" USING btree ("user_id") WHERE status = 'OPEN';