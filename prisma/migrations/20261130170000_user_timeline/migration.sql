-- A user's timeline (GET /admin/users/{id}) reads the delivery ledger by user, newest first.
CREATE INDEX "webhook_deliveries_user_id_received_at_idx" ON "webhook_deliveries" ("user_id", "received_at");

-- Why a claimed delivery left the mirror as it was (null: it was applied): `not_newer` (the row
-- already had this version or a newer one) or `already_deleted` (a tombstone).
ALTER TABLE "webhook_deliveries" ADD COLUMN "outcome" TEXT;
