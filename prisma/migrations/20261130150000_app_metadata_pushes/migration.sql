-- Changes of app_metadata an admin asked for, waiting for (or done by) their push to Supabase:
-- written in the request's transaction with the push's job, so a change committed here reaches
-- Supabase (an outbox). Pushed in id order, merged, by one job per user at a time.
-- CreateTable
CREATE TABLE "app_metadata_pushes" (
    "id" BIGSERIAL NOT NULL,
    "user_id" UUID NOT NULL,
    "patch" JSONB NOT NULL,
    "admin_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pushed_at" TIMESTAMPTZ(6),

    CONSTRAINT "app_metadata_pushes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "app_metadata_pushes_user_id_id_idx" ON "app_metadata_pushes"("user_id", "id");

-- AddForeignKey
ALTER TABLE "app_metadata_pushes" ADD CONSTRAINT "app_metadata_pushes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
