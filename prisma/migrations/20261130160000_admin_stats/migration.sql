-- The operator's figures (GET /admin/stats, src/admin/admin-stats.sql.ts): each one is read from an
-- index alone (an index-only scan: no visit to the table), so that it stays fast at 1,000,000 users.
-- The search's indexes (20261130140000_user_search) are on coalesce(...) expressions, which
-- Postgres never reads index-only: these are on plain columns. `deleted_at` is in each users
-- index, not a partial condition (see that migration): the figures leave tombstones out from the
-- index alone.

-- Signups per bucket (Supabase's created_at) and active users (last sign-in within 1/7/30 days).
CREATE INDEX "users_created_at_idx" ON "users" ("created_at", "deleted_at");
CREATE INDEX "users_last_sign_in_at_idx" ON "users" ("last_sign_in_at", "deleted_at");

-- Deletions per bucket: the deletion records, which outlive the tombstones' purge.
CREATE INDEX "audit_events_user_deleted_idx" ON "audit_events" ("created_at") WHERE "type" = 'user.deleted';

-- Users by provider. An index on the expression app_metadata ->> 'provider' is never read
-- index-only (the planner wants app_metadata itself), so the provider is a column that Postgres
-- computes on every write. Adding it rewrites `users` once, under an exclusive lock (about 20 s at
-- 1,000,000 users on 2 cores). `left`: an index entry must stay small whatever Supabase holds.
ALTER TABLE "users" ADD COLUMN "provider" TEXT GENERATED ALWAYS AS (left("app_metadata" ->> 'provider', 100)) STORED;
CREATE INDEX "users_provider_idx" ON "users" ("provider", "deleted_at");

-- The onboarding funnel of a cohort (users created in [from, to)): joining a year of users to
-- their profiles costs about half a second at 1,000,000 users, so each profile carries its user's
-- created_at, written by the triggers below alone, and the funnel is one index-only range.
ALTER TABLE "profiles" ADD COLUMN "user_created_at" TIMESTAMPTZ(6);
UPDATE "profiles" p SET "user_created_at" = u."created_at" FROM "users" u WHERE u."id" = p."user_id";
CREATE INDEX "profiles_user_created_at_idx" ON "profiles" ("user_created_at", "onboarding_completed", "onboarded_at");

-- Any write of the copy takes the user's created_at, whatever it was given: the copy cannot be
-- wrong. FOR SHARE: a concurrent change of the user's created_at either commits before this read,
-- or waits for this transaction and then updates the profile itself (users_created_at_changed).
CREATE FUNCTION "authmirror_profile_user_created_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.user_created_at := (SELECT u.created_at FROM users u WHERE u.id = NEW.user_id FOR SHARE);
  RETURN NEW;
END
$$;

-- A profile made: write its copy (the trigger above gives the value). After the insert, not before:
-- every sync tries the insert (ON CONFLICT DO NOTHING), and only a row actually inserted fires an
-- AFTER trigger.
CREATE FUNCTION "authmirror_profile_made"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE profiles SET user_created_at = NULL WHERE user_id = NEW.user_id;
  RETURN NULL;
END
$$;

-- The user's created_at changed (Supabase never changes it; the mirror would follow): so does the copy.
CREATE FUNCTION "authmirror_user_created_at_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE profiles SET user_created_at = NEW.created_at WHERE user_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER "profiles_user_created_at" BEFORE UPDATE OF "user_created_at" ON "profiles"
  FOR EACH ROW EXECUTE FUNCTION "authmirror_profile_user_created_at"();
CREATE TRIGGER "profiles_made" AFTER INSERT ON "profiles"
  FOR EACH ROW EXECUTE FUNCTION "authmirror_profile_made"();
CREATE TRIGGER "users_created_at_changed" AFTER UPDATE OF "created_at" ON "users"
  FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION "authmirror_user_created_at_changed"();
