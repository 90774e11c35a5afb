ALTER TABLE "review_cases" ALTER COLUMN "failed_verification_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "consents" ADD COLUMN "purpose" text DEFAULT 'VERIFICATION' NOT NULL;