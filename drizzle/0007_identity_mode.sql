-- Existing identities take the mode of the verification behind them (MANUAL for an approved review).
ALTER TABLE "identities" ADD COLUMN "mode" text;--> statement-breakpoint
UPDATE "identities" SET "mode" = "verifications"."mode" FROM "verifications" WHERE "verifications"."id" = "identities"."verification_id";--> statement-breakpoint
-- None should lack its verification; one that did stays out of any LIVE gate.
UPDATE "identities" SET "mode" = 'SANDBOX' WHERE "mode" IS NULL;--> statement-breakpoint
ALTER TABLE "identities" ALTER COLUMN "mode" SET NOT NULL;
