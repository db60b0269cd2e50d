-- Devices (one per Supabase session), per-user token cutoffs, and the news that ends access:
-- every change that must refuse tokens notifies `authmirror_access` in its own transaction, so
-- each instance's guard learns it on commit (src/access/access-events.ts spells the payloads).

-- CreateTable
CREATE TABLE "devices" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "name" TEXT,
    "user_agent" TEXT,
    "ip" TEXT,
    "first_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "token_cutoffs" (
    "user_id" UUID NOT NULL,
    "sessions_revoked_before" TIMESTAMPTZ(6),
    "kept_session_id" UUID,
    "tokens_stale_before" TIMESTAMPTZ(6),

    CONSTRAINT "token_cutoffs_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "devices_user_id_last_seen_at_idx" ON "devices"("user_id", "last_seen_at" DESC);

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "token_cutoffs" ADD CONSTRAINT "token_cutoffs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Partial indexes Prisma cannot express: what a starting instance loads into memory.
CREATE INDEX "devices_revoked_at_idx" ON "devices"("revoked_at") WHERE "revoked_at" IS NOT NULL;
CREATE INDEX "users_banned_until_idx" ON "users"("banned_until") WHERE "banned_until" IS NOT NULL;

-- A ban (or its end) reaches the mirror through whichever path wrote the row: the trigger tells
-- every instance, whatever that path was.
CREATE FUNCTION "authmirror_notify_ban"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('authmirror_access',
    json_build_object('kind', 'ban', 'user', NEW.id, 'until', NEW.banned_until)::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER "users_ban_inserted" AFTER INSERT ON "users"
  FOR EACH ROW WHEN (NEW.banned_until IS NOT NULL) EXECUTE FUNCTION "authmirror_notify_ban"();
CREATE TRIGGER "users_ban_changed" AFTER UPDATE OF "banned_until" ON "users"
  FOR EACH ROW WHEN (OLD.banned_until IS DISTINCT FROM NEW.banned_until) EXECUTE FUNCTION "authmirror_notify_ban"();
