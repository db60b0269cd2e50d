-- Signup recovery takes sagas by when they are due (recover_after) instead of by how long they
-- have not moved, so that sagas whose request gave up are taken at once and drained together.
-- AlterTable
ALTER TABLE "signup_sagas" ADD COLUMN "recover_after" TIMESTAMPTZ(6);

UPDATE "signup_sagas" SET "recover_after" = "updated_at" + interval '60 seconds'
WHERE "state" IN ('pending', 'remote_created', 'compensating');

-- DropIndex
DROP INDEX "signup_sagas_state_updated_at_idx";

-- CreateIndex
CREATE INDEX "signup_sagas_recover_after_idx" ON "signup_sagas"("recover_after");

-- Replays of an Idempotency-Key rebuild their answer from the mirror: a saga keeps only the
-- user's id, never the user's email, phone or profile.
UPDATE "signup_sagas" SET "response" = jsonb_build_object('userId', "user_id"::text) WHERE "response" IS NOT NULL;
