CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject_user_id" text,
	"verification_id" uuid,
	"detail" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"version" text NOT NULL,
	"biometric" boolean NOT NULL,
	"client_ip" text,
	"user_agent" text,
	"accepted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "face_images" (
	"verification_id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"image_cipher" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"purge_after" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identities" (
	"user_id" text PRIMARY KEY NOT NULL,
	"verification_id" uuid NOT NULL,
	"id_number_index" text NOT NULL,
	"slot" integer NOT NULL,
	"verified_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pending_audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject_user_id" text,
	"verification_id" uuid,
	"detail" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_keys" (
	"user_id" text PRIMARY KEY NOT NULL,
	"key_version" integer NOT NULL,
	"wrapped_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "verifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"status" text NOT NULL,
	"mode" text NOT NULL,
	"name_cipher" "bytea",
	"id_number_cipher" "bytea",
	"id_number_index" text,
	"consent_id" uuid,
	"idempotency_key" text,
	"outer_order_no" text NOT NULL,
	"certify_id" text,
	"certify_url" text,
	"callback_token_hash" text,
	"return_url" text,
	"failure_code" text,
	"provider_sub_code" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	"checked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "verifications" ADD CONSTRAINT "verifications_consent_id_consents_id_fk" FOREIGN KEY ("consent_id") REFERENCES "public"."consents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_user_idx" ON "audit_events" USING btree ("subject_user_id");--> statement-breakpoint
CREATE INDEX "consents_user_idx" ON "consents" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identities_index_slot_idx" ON "identities" USING btree ("id_number_index","slot");--> statement-breakpoint
CREATE INDEX "verifications_user_idx" ON "verifications" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_outer_order_no_idx" ON "verifications" USING btree ("outer_order_no");--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_certify_id_idx" ON "verifications" USING btree ("certify_id");--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_idempotency_idx" ON "verifications" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "verifications_open_idx" ON "verifications" USING btree ("created_at") WHERE status in ('PENDING', 'PROCESSING');--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_one_open_idx" ON "verifications" USING btree ("user_id") WHERE status in ('PENDING', 'PROCESSING');