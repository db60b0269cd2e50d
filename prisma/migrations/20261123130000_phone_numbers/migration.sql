-- Phone numbers: E.164 with its `+`, unique among live users (tombstones keep no phone, and a
-- number frees up when its holder is deleted). Prisma cannot express a partial index, so
-- `users_phone_live_key` exists only here; schema.prisma says so on the `phone` field.

-- AlterTable: the number Supabase gave a user that another live user already holds here.
ALTER TABLE "users" ADD COLUMN "phone_conflict" TEXT;

-- Rows mirrored before this migration may share a number: the earliest-created user keeps it,
-- the others are flagged like a conflict arriving from Supabase (phone NULL, phone_conflict set).
WITH "ranked" AS (
    SELECT "id", row_number() OVER (PARTITION BY "phone" ORDER BY "created_at" NULLS LAST, "id") AS "rank"
    FROM "users"
    WHERE "deleted_at" IS NULL AND "phone" IS NOT NULL
)
UPDATE "users" AS "u" SET "phone_conflict" = "u"."phone", "phone" = NULL
FROM "ranked" AS "r"
WHERE "r"."id" = "u"."id" AND "r"."rank" > 1;

-- CreateIndex: the phone lookup (`GET /users/lookup`) is an index scan on it.
CREATE UNIQUE INDEX "users_phone_live_key" ON "users" ("phone") WHERE "deleted_at" IS NULL AND "phone" IS NOT NULL;
