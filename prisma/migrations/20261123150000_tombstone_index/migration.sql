-- The index on `deleted_at` only serves questions about tombstones (the guard's set of deleted
-- ids, the purge of old tombstones), yet every live user paid an entry in it on every insert.
-- Partial now: tombstones only. Prisma cannot express a partial index, so it exists only here;
-- schema.prisma says so on the `deletedAt` field.

-- DropIndex
DROP INDEX "users_deleted_at_idx";

-- CreateIndex
CREATE INDEX "users_tombstones_idx" ON "users" ("deleted_at") WHERE "deleted_at" IS NOT NULL;
