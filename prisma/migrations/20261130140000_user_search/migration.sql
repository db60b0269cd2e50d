-- The operator's user queries (GET /admin/users): each filter and each sort is an index scan of
-- live users. Sorts are keyset-paged on (expression, id); the expressions put NULLs first as
-- '-infinity' or '' so that a cursor can name them (src/users/user-search.ts spells them).
-- The b-tree ones are not partial: a partial index on `deleted_at IS NULL` is one the mirror's
-- upsert, planned once on an empty table, may take to walk every live user (test/upsert-plan).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- email contains (LIKE '%…%' on the stored lower-case email)
CREATE INDEX "users_email_trgm_idx" ON "users" USING gin ("email" gin_trgm_ops) WHERE "deleted_at" IS NULL;
-- emailDomain
CREATE INDEX "users_email_domain_idx" ON "users" (split_part("email", '@', 2), "id");
-- provider (app_metadata.providers holds every provider of the user)
CREATE INDEX "users_providers_idx" ON "users" USING gin (("app_metadata" -> 'providers')) WHERE "deleted_at" IS NULL;
-- sorts, and the createdAfter/Before and lastSignInAfter/Before ranges
CREATE INDEX "users_created_at_sort_idx" ON "users" (coalesce("created_at", '-infinity'::timestamptz), "id");
CREATE INDEX "users_last_sign_in_at_sort_idx" ON "users" (coalesce("last_sign_in_at", '-infinity'::timestamptz), "id");
CREATE INDEX "users_email_sort_idx" ON "users" (coalesce("email", ''), "id");
-- onboarded
CREATE INDEX "profiles_onboarding_completed_idx" ON "profiles" ("onboarding_completed", "user_id");
