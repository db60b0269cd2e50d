-- AlterTable: a failed login for an unknown email has no subject.
ALTER TABLE "audit_events" ALTER COLUMN "subject_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "signup_sagas" (
    "id" UUID NOT NULL,
    "idempotency_key" TEXT,
    "user_id" UUID NOT NULL,
    "email" TEXT,
    "phone" TEXT,
    "display_name" TEXT,
    "state" TEXT NOT NULL,
    "error_code" TEXT,
    "response" JSONB,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signup_sagas_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "signup_sagas_idempotency_key_key" ON "signup_sagas"("idempotency_key");

-- CreateIndex
CREATE INDEX "signup_sagas_state_updated_at_idx" ON "signup_sagas"("state", "updated_at");
