-- When the revocation job ended the device's session in Supabase: until then Supabase may still
-- refresh it, so its revocation is kept in memory (and loaded at start) however old it is.
-- AlterTable
ALTER TABLE "devices" ADD COLUMN "supabase_ended_at" TIMESTAMPTZ(6);

DROP INDEX "devices_revoked_at_idx";
CREATE INDEX "devices_revoked_idx" ON "devices"("revoked_at", "supabase_ended_at") WHERE "revoked_at" IS NOT NULL;
