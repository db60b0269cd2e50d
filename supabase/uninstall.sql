-- Removes what supabase/authmirror-trigger.sql installed: the trigger on auth.users and the
-- authmirror schema (settings, secret and functions). The pgcrypto and pg_net extensions stay:
-- other parts of the project may use them. Safe to run more than once.
BEGIN;

DROP TRIGGER IF EXISTS authmirror_deliver ON auth.users;
DROP SCHEMA IF EXISTS authmirror CASCADE;

COMMIT;
