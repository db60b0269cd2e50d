-- The delivery record is written before the effect (to claim the id), so it keeps what the
-- delivery asked for (apply or delete), not an outcome.
ALTER TABLE "webhook_deliveries" RENAME COLUMN "outcome" TO "action";
