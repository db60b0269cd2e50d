-- authmirror: user changes from auth.users to the authmirror service, pulled or pushed.
-- (Over 300 lines on purpose: one script for the operator to run, both intakes in one trigger.)
--
-- Run in the Supabase project's database (SQL editor, or psql "$SUPABASE_DB_URL" -f …), then
-- either or both of:
--   select authmirror.enable_pull();   -- the service takes changes from the outbox as role authmirror_intake
--   select authmirror.configure('https://your-api.example.com/webhooks/supabase', 'v1,whsec_…');
-- See supabase/README.md. Safe to run again: every statement is idempotent and keeps the
-- settings already configured.
--
-- What it installs:
--   * schema authmirror (private: not in PostgREST's exposed schemas, no grants to API roles)
--     with the settings, the outbox authmirror.user_changes, the payload and signing helpers,
--     and the trigger function;
--   * role authmirror_intake (NOLOGIN until you give it a password), which may only call the
--     functions that hand out and acknowledge outbox changes and page through users' mirrored
--     columns (reconcile by SQL): no privilege on any table;
--   * trigger authmirror_deliver on auth.users, AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW,
--     which writes the change to the outbox (pull) and queues one Standard Webhooks POST through
--     pg_net (push).
-- Both happen in the same transaction as the change: a rolled-back signup leaves nothing. The
-- outbox row is part of the change (if it cannot be written, the change fails: what committed is
-- in the outbox); a failure of the push never fails the change.

BEGIN;

CREATE SCHEMA IF NOT EXISTS authmirror;
COMMENT ON SCHEMA authmirror IS 'authmirror: signed user events from auth.users (supabase/authmirror-trigger.sql)';
REVOKE ALL ON SCHEMA authmirror FROM PUBLIC;

-- pgcrypto (for hmac) lives in `extensions` on Supabase. Where it is missing, install it
-- there; where it is already installed in another schema, use that schema. Either way the
-- rest of the script calls it only through authmirror.hmac_sha256, so it never depends on
-- search_path.
DO $install_pgcrypto$
DECLARE
  crypto_schema name;
BEGIN
  SELECT n.nspname INTO crypto_schema
    FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'pgcrypto';
  IF crypto_schema IS NULL THEN
    CREATE SCHEMA IF NOT EXISTS extensions;
    CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
    crypto_schema := 'extensions';
  END IF;
  EXECUTE pg_catalog.format(
    $sql$
      CREATE OR REPLACE FUNCTION authmirror.hmac_sha256(message bytea, key bytea)
      RETURNS bytea
      LANGUAGE sql IMMUTABLE STRICT
      SET search_path = ''
      AS 'SELECT %I.hmac($1, $2, ''sha256'')'
    $sql$,
    crypto_schema);
END
$install_pgcrypto$;

-- pg_net provides net.http_post (its functions are always in schema `net`, whatever schema
-- the extension is created in; Supabase creates it in `extensions`).
DO $install_pg_net$
BEGIN
  IF pg_catalog.to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') IS NULL THEN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_net') THEN
      RAISE EXCEPTION 'authmirror: the pg_net extension is not available in this database'
        USING HINT = 'On Supabase enable it under Database > Extensions; elsewhere install pg_net and add it to shared_preload_libraries.';
    END IF;
    CREATE SCHEMA IF NOT EXISTS extensions;
    CREATE EXTENSION IF NOT EXISTS pg_net WITH SCHEMA extensions;
  END IF;
END
$install_pg_net$;

-- The one settings row. The secret is the service's SUPABASE_WEBHOOK_SECRET.
CREATE TABLE IF NOT EXISTS authmirror.settings (
  singleton            boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  endpoint_url         text        NOT NULL CHECK (endpoint_url ~ '^https?://\S+$'),
  -- NULL where Supabase Vault holds the secret (authmirror_webhook_secret), as configure() does.
  secret               text        CHECK (secret ~ '^(v1,)?whsec_[A-Za-z0-9+/=]+$'),
  timeout_milliseconds integer     NOT NULL DEFAULT 5000 CHECK (timeout_milliseconds BETWEEN 100 AND 60000),
  updated_at           timestamptz NOT NULL DEFAULT pg_catalog.now()
);
ALTER TABLE authmirror.settings ALTER COLUMN secret DROP NOT NULL; -- installs from before Vault
COMMENT ON TABLE authmirror.settings IS 'Where authmirror events go, and the Standard Webhooks secret that signs them where Vault is absent. Set with authmirror.configure().';
-- Readable by its owner (who also owns the SECURITY DEFINER trigger function) and nobody
-- else: no grants, and row level security without policies as a second lock.
REVOKE ALL ON TABLE authmirror.settings FROM PUBLIC;
ALTER TABLE authmirror.settings ENABLE ROW LEVEL SECURITY;

-- The pull intake's outbox: one row per user and transaction (a transaction's several writes to
-- one user coalesce into its last state), kept until the service has applied it. Logged, unlike
-- pg_net's queue: it survives a crash or a failover.
CREATE TABLE IF NOT EXISTS authmirror.user_changes (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The service's delivery id: random, so a database restored to an earlier point, whose ids and
  -- transaction ids repeat, cannot pass a new change off as one already applied.
  change_id   uuid        NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
  txid        xid8        NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
  user_id     uuid        NOT NULL,
  event_type  text        NOT NULL CHECK (event_type IN ('user.created', 'user.updated', 'user.deleted')),
  user_object jsonb       NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  CONSTRAINT user_changes_one_per_transaction UNIQUE (txid, user_id)
);
COMMENT ON TABLE authmirror.user_changes IS 'User changes waiting for the authmirror service (pull intake); it deletes what it applied.';
REVOKE ALL ON TABLE authmirror.user_changes FROM PUBLIC;

CREATE TABLE IF NOT EXISTS authmirror.pull_settings (
  singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  enabled    boolean     NOT NULL DEFAULT false,
  -- NOTIFY at each commit for a service that LISTENs: it takes a cluster-wide lock at commit, so
  -- only when asked for.
  notify     boolean     NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authmirror.pull_settings IS 'Whether changes go to the outbox, and whether a NOTIFY wakes the service. Set with authmirror.enable_pull().';
REVOKE ALL ON TABLE authmirror.pull_settings FROM PUBLIC;
ALTER TABLE authmirror.pull_settings ENABLE ROW LEVEL SECURITY;

CREATE OR REPLACE FUNCTION authmirror.enable_pull(enabled boolean DEFAULT true, notify boolean DEFAULT false)
RETURNS void
LANGUAGE sql
SET search_path = ''
AS $$
  INSERT INTO authmirror.pull_settings AS s (singleton, enabled, notify) VALUES (true, enable_pull.enabled, enable_pull.notify)
  ON CONFLICT (singleton) DO UPDATE SET enabled = excluded.enabled, notify = excluded.notify, updated_at = pg_catalog.now();
$$;
COMMENT ON FUNCTION authmirror.enable_pull(boolean, boolean) IS 'Starts (or with false stops) writing user changes to authmirror.user_changes; notify: also NOTIFY a LISTENing service at each commit.';

-- What the service may do with the outbox, as functions: a table privilege would also let a
-- leaked password LOCK the table, and so hold up every write to auth.users.
CREATE OR REPLACE FUNCTION authmirror.pending_changes(page_size integer)
RETURNS TABLE (id bigint, change_id uuid, user_id uuid, event_type text, user_object jsonb, changed_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
  SELECT c.id, c.change_id, c.user_id, c.event_type, c.user_object, c.changed_at
    FROM authmirror.user_changes AS c ORDER BY c.id LIMIT LEAST(GREATEST(page_size, 1), 10000)
$$;
CREATE OR REPLACE FUNCTION authmirror.acknowledge_changes(ids bigint[])
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = ''
AS $$
  WITH gone AS (DELETE FROM authmirror.user_changes AS c WHERE c.id = ANY(acknowledge_changes.ids) RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
CREATE OR REPLACE FUNCTION authmirror.pending_count()
RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
  SELECT count(*) FROM authmirror.user_changes
$$;

-- The service's role: it reads and deletes the outbox, nothing else. Roles belong to the
-- cluster: another installer may create it at the same moment.
DO $intake_role$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authmirror_intake') THEN
    CREATE ROLE authmirror_intake NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$intake_role$;
COMMENT ON ROLE authmirror_intake IS 'authmirror pull intake and reconcile by SQL: EXECUTE on a few authmirror functions only. ALTER ROLE authmirror_intake WITH LOGIN PASSWORD ''…'' to use it.';
GRANT USAGE ON SCHEMA authmirror TO authmirror_intake;
REVOKE ALL ON TABLE authmirror.user_changes FROM authmirror_intake;

-- RFC 3339 in UTC with all six fractional digits: the service uses updated_at as the
-- version of a user, at microsecond precision, whatever the session's TimeZone.
-- rfc3339 and user_object have no SET search_path (every name in them is qualified) so that
-- Postgres inlines them: a function call that sets search_path costs more than reading the row.
CREATE OR REPLACE FUNCTION authmirror.rfc3339(ts timestamptz)
RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT pg_catalog.to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The Supabase user object (API field names, as GoTrue serialises models.User), listing
-- only what is safe to send: never encrypted_password nor any *_token column.
CREATE OR REPLACE FUNCTION authmirror.user_object(u auth.users)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
  SELECT pg_catalog.jsonb_build_object(
    'id', u.id,
    'aud', u.aud,
    'role', u.role,
    'email', coalesce(u.email, ''),
    'phone', coalesce(u.phone, ''),
    'email_confirmed_at', authmirror.rfc3339(u.email_confirmed_at),
    'phone_confirmed_at', authmirror.rfc3339(u.phone_confirmed_at),
    'confirmed_at', authmirror.rfc3339(LEAST(u.email_confirmed_at, u.phone_confirmed_at)),
    'last_sign_in_at', authmirror.rfc3339(u.last_sign_in_at),
    'app_metadata', coalesce(u.raw_app_meta_data, '{}'),
    'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
    'is_anonymous', coalesce(u.is_anonymous, false),
    'banned_until', authmirror.rfc3339(u.banned_until),
    'created_at', authmirror.rfc3339(u.created_at),
    'updated_at', authmirror.rfc3339(u.updated_at),
    'deleted_at', authmirror.rfc3339(u.deleted_at)
  )
$$;

-- Standard Webhooks signature: v1,base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")) where
-- key is the base64 after "whsec_" and body is the exact UTF-8 text pg_net sends.
CREATE OR REPLACE FUNCTION authmirror.signature(secret text, message_id text, sent_at bigint, body text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = ''
AS $$
  SELECT 'v1,' || pg_catalog.translate(
    pg_catalog.encode(
      authmirror.hmac_sha256(
        pg_catalog.convert_to(message_id || '.' || sent_at::text || '.' || body, 'UTF8'),
        pg_catalog.decode(pg_catalog.regexp_replace(secret, '^(v1,)?whsec_', ''), 'base64')),
      'base64'),
    E'\n\r', '')
$$;

CREATE OR REPLACE FUNCTION authmirror.configure(url text, secret text, timeout_milliseconds integer DEFAULT 5000)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  vault_id uuid;
  stored text;
BEGIN
  IF url IS NULL OR url !~ '^https?://\S+$' THEN
    RAISE EXCEPTION 'authmirror.configure: url must be an http(s) URL such as https://your-api.example.com/webhooks/supabase'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The message never repeats the secret: it would end up in logs.
  IF secret IS NULL OR secret !~ '^(v1,)?whsec_[A-Za-z0-9+/]+={0,2}$'
     OR pg_catalog.length(pg_catalog.regexp_replace(secret, '^(v1,)?whsec_', '')) % 4 <> 0 THEN
    RAISE EXCEPTION 'authmirror.configure: secret must be "v1,whsec_<base64>" (the service''s SUPABASE_WEBHOOK_SECRET)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Supabase Vault keeps the secret encrypted at rest where it is installed; the settings row
  -- holds it only where Vault is absent.
  IF pg_catalog.to_regclass('vault.secrets') IS NOT NULL THEN
    SELECT v.id INTO vault_id FROM vault.secrets AS v WHERE v.name = 'authmirror_webhook_secret';
    IF vault_id IS NULL THEN
      PERFORM vault.create_secret(secret, 'authmirror_webhook_secret', 'authmirror: signs user events (supabase/authmirror-trigger.sql)');
    ELSE
      PERFORM vault.update_secret(vault_id, secret);
    END IF;
    stored := NULL;
  ELSE
    stored := secret;
  END IF;
  INSERT INTO authmirror.settings AS s (singleton, endpoint_url, secret, timeout_milliseconds)
  VALUES (true, url, stored, coalesce(configure.timeout_milliseconds, 5000))
  ON CONFLICT (singleton) DO UPDATE
    SET endpoint_url = excluded.endpoint_url,
        secret = excluded.secret,
        timeout_milliseconds = excluded.timeout_milliseconds,
        updated_at = pg_catalog.now();
END
$$;
COMMENT ON FUNCTION authmirror.configure(text, text, integer) IS 'Sets where authmirror events go and the Standard Webhooks secret (v1,whsec_…) that signs them.';

-- Signs one event and queues it with pg_net. Returns pg_net's request id, or null when
-- authmirror is not configured yet.
CREATE OR REPLACE FUNCTION authmirror.send_event(event_type text, user_object jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  config authmirror.settings;
  payload jsonb := pg_catalog.jsonb_build_object('type', event_type, 'user', user_object);
  message_id text := pg_catalog.gen_random_uuid()::text;
  sent_at bigint := pg_catalog.floor(EXTRACT(EPOCH FROM pg_catalog.clock_timestamp()))::bigint;
  secret text;
BEGIN
  SELECT * INTO config FROM authmirror.settings WHERE singleton;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  secret := config.secret;
  IF secret IS NULL THEN
    SELECT v.decrypted_secret INTO secret FROM vault.decrypted_secrets AS v WHERE v.name = 'authmirror_webhook_secret';
    IF secret IS NULL THEN
      RAISE EXCEPTION 'no signing secret: run authmirror.configure() again';
    END IF;
  END IF;
  -- pg_net sends convert_to(body::text, 'UTF8'): sign that very text.
  RETURN net.http_post(
    url := config.endpoint_url,
    body := payload,
    headers := pg_catalog.jsonb_build_object(
      'Content-Type', 'application/json',
      'webhook-id', message_id,
      'webhook-timestamp', sent_at::text,
      'webhook-signature', authmirror.signature(secret, message_id, sent_at, payload::text)),
    timeout_milliseconds := config.timeout_milliseconds);
END
$$;

-- The trigger function. SECURITY DEFINER so that GoTrue's role (supabase_auth_admin) needs no
-- access to the authmirror schema, pgcrypto or pg_net; search_path is empty so that nothing
-- it calls can be shadowed.
CREATE OR REPLACE FUNCTION authmirror.deliver_user_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  user_object jsonb;
  event_type text;
  pull record;
BEGIN
  IF TG_OP = 'DELETE' THEN
    event_type := 'user.deleted';
    user_object := pg_catalog.jsonb_build_object('id', OLD.id, 'deleted_at', authmirror.rfc3339(pg_catalog.now()));
  ELSE
    user_object := authmirror.user_object(NEW);
    -- Nothing the mirror keeps changed (a no-op, a password or token change, *_sent_at, a
    -- refresh): updated_at alone is no news.
    IF TG_OP = 'UPDATE' AND (user_object - 'updated_at') = (authmirror.user_object(OLD) - 'updated_at') THEN
      RETURN NULL;
    END IF;
    -- The service keeps a user's updated_at as its version and writes only a newer one. A change
    -- whose updated_at is not after the row's (SQL that leaves it alone; a GoTrue write that took
    -- its time before waiting for another writer of the user) is sent with the time of the change
    -- (at least a microsecond after the row's), so that it counts as the newer: events then carry
    -- versions in commit order, however often it happens.
    IF TG_OP = 'UPDATE' AND NEW.updated_at IS NOT NULL AND OLD.updated_at IS NOT NULL AND NEW.updated_at <= OLD.updated_at THEN
      user_object := user_object || pg_catalog.jsonb_build_object('updated_at',
        authmirror.rfc3339(GREATEST(OLD.updated_at + interval '1 microsecond', pg_catalog.clock_timestamp())));
    END IF;
    event_type := CASE
      WHEN NEW.deleted_at IS NOT NULL THEN 'user.deleted' -- soft delete
      WHEN TG_OP = 'INSERT' THEN 'user.created'
      ELSE 'user.updated'
    END;
  END IF;
  -- Pull: part of the change itself (no exception handler): what commits is in the outbox.
  SELECT s.enabled, s.notify INTO pull FROM authmirror.pull_settings AS s WHERE s.singleton;
  IF pull.enabled THEN
    INSERT INTO authmirror.user_changes AS c (user_id, event_type, user_object)
    VALUES ((user_object ->> 'id')::uuid, event_type, user_object)
    ON CONFLICT ON CONSTRAINT user_changes_one_per_transaction DO UPDATE
      SET event_type = CASE WHEN c.event_type = 'user.created' AND excluded.event_type = 'user.updated'
                            THEN 'user.created' ELSE excluded.event_type END,
          user_object = excluded.user_object,
          changed_at = excluded.changed_at;
    -- Wakes a service that LISTENs (SUPABASE_PULL_LISTEN); sent at commit, once per transaction.
    IF pull.notify THEN
      PERFORM pg_catalog.pg_notify('authmirror_user_changes', '');
    END IF;
  END IF;
  -- Push: never breaks GoTrue's transaction; the service's reconcile repairs a lost event.
  BEGIN
    PERFORM authmirror.send_event(event_type, user_object);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'authmirror: % on auth.users not delivered: % (SQLSTATE %)', TG_OP, SQLERRM, SQLSTATE;
  END;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER authmirror_deliver
  AFTER INSERT OR UPDATE OR DELETE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION authmirror.deliver_user_change();

-- Reconcile by SQL: the users, by keyset on id, as the same user objects the trigger sends.
-- SECURITY DEFINER so that authmirror_intake needs no grant on auth.users (and sees neither
-- encrypted_password nor any token column), and so that row level security on auth.users,
-- which the installer bypasses, does not hide the rows.
CREATE OR REPLACE FUNCTION authmirror.users_after(after_id uuid, page_size integer)
RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
  -- A range scan of the primary key whatever the plan ("after_id IS NULL OR id > after_id" would
  -- scan from the start on every page); GoTrue's ids are random v4 UUIDs, never the nil UUID.
  RETURN QUERY SELECT authmirror.user_object(u)
    FROM auth.users AS u
   WHERE u.id > coalesce(after_id, '00000000-0000-0000-0000-000000000000'::uuid)
   ORDER BY u.id LIMIT LEAST(GREATEST(page_size, 1), 10000);
END
$$;
COMMENT ON FUNCTION authmirror.users_after(uuid, integer) IS 'authmirror reconcile: the next page of users after after_id, by id.';

CREATE OR REPLACE FUNCTION authmirror.user_by_id(user_id uuid)
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = ''
AS $$
  SELECT authmirror.user_object(u) FROM auth.users AS u WHERE u.id = user_by_id.user_id
$$;
COMMENT ON FUNCTION authmirror.user_by_id(uuid) IS 'authmirror reconcile: one user, or null.';

-- Ends one Supabase session (a device the user revoked in the service): deleting the
-- auth.sessions row deletes its refresh tokens with it (refresh_tokens.session_id ON DELETE
-- CASCADE), so the device cannot refresh; its access token is refused by the service itself.
-- True when there was such a session. Safe to call again.
CREATE OR REPLACE FUNCTION authmirror.revoke_session(session_id uuid)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
  WITH gone AS (DELETE FROM auth.sessions AS s WHERE s.id = revoke_session.session_id RETURNING 1)
  SELECT EXISTS (SELECT FROM gone)
$$;
COMMENT ON FUNCTION authmirror.revoke_session(uuid) IS 'authmirror devices: deletes one auth.sessions row (and its refresh tokens).';

-- Functions are executable by PUBLIC by default: only the owner may call these.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA authmirror FROM PUBLIC;

-- The intake's role may take and acknowledge outbox changes and page through users (reconcile
-- by SQL) with these, nothing more.
GRANT EXECUTE ON FUNCTION authmirror.users_after(uuid, integer), authmirror.user_by_id(uuid),
  authmirror.pending_changes(integer), authmirror.acknowledge_changes(bigint[]), authmirror.pending_count(),
  authmirror.revoke_session(uuid)
  TO authmirror_intake;

-- Supabase's API roles get nothing here (they exist only on Supabase)...
DO $revoke_api_roles$
DECLARE
  api_role name;
BEGIN
  FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = api_role) THEN
      EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA authmirror FROM %I', api_role);
      EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA authmirror FROM %I', api_role);
      EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA authmirror FROM %I', api_role);
    END IF;
  END LOOP;
  -- Except revoke_session for the service role, through PostgREST (when `authmirror` is an
  -- exposed schema): the service's way to end a session without SUPABASE_DB_URL.
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
    GRANT USAGE ON SCHEMA authmirror TO service_role;
    GRANT EXECUTE ON FUNCTION authmirror.revoke_session(uuid) TO service_role;
  END IF;
END
$revoke_api_roles$;

COMMIT;
