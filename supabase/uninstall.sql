-- Removes what supabase/authmirror-trigger.sql installed: the trigger on auth.users, the
-- authmirror schema (settings, secret, outbox and functions), the secret in Supabase Vault and the
-- authmirror_intake role.
-- The pgcrypto and pg_net extensions stay: other parts of the project may use them. Safe to
-- run more than once.
BEGIN;

DROP TRIGGER IF EXISTS authmirror_deliver ON auth.users;
DROP SCHEMA IF EXISTS authmirror CASCADE;

-- The signing secret, where configure() put it in Supabase Vault.
DO $drop_vault_secret$
BEGIN
  IF pg_catalog.to_regclass('vault.secrets') IS NOT NULL THEN
    DELETE FROM vault.secrets WHERE name = 'authmirror_webhook_secret';
  END IF;
END
$drop_vault_secret$;

-- The role belongs to the cluster: it goes once no database grants it anything.
DO $drop_intake_role$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authmirror_intake') THEN
    REVOKE ALL ON ALL TABLES IN SCHEMA auth FROM authmirror_intake;
    REVOKE ALL ON SCHEMA auth FROM authmirror_intake;
    BEGIN
      DROP ROLE authmirror_intake;
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'authmirror: role authmirror_intake kept: another database still grants it privileges';
    END;
  END IF;
END
$drop_intake_role$;

COMMIT;
