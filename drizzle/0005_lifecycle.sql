ALTER TABLE "identities" ADD COLUMN "face_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "verifications" ADD COLUMN "purpose" text DEFAULT 'VERIFY' NOT NULL;--> statement-breakpoint
-- Every identity bound before this column was bound by a passed face check, except those a manual review approved.
UPDATE "identities" SET "face_checked_at" = "identities"."verified_at" FROM "verifications" WHERE "verifications"."id" = "identities"."verification_id" AND "verifications"."mode" <> 'MANUAL';
