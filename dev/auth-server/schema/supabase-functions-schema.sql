-- supabase-functions-schema.sql: what a Supabase project's Database Webhooks run on, for the local
-- Supabase database. Behaviour of supabase/postgres migrations/db/migrations/
-- 20240822021428_enable_webhooks_by_default.sql (schema supabase_functions, the hooks audit table,
-- and the trigger function the dashboard attaches to a table), written for this emulation: its
-- arguments are the URL, the method, the headers, the query parameters and the timeout (1000 ms
-- unless given), 'null' standing for an argument left out; a POST sends
-- {old_record, record, type, table, schema} with whole rows through net.http_post.

CREATE SCHEMA IF NOT EXISTS supabase_functions;

CREATE TABLE IF NOT EXISTS supabase_functions.hooks (
  id            bigserial   PRIMARY KEY,
  hook_table_id integer     NOT NULL,
  hook_name     text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  request_id    bigint
);
COMMENT ON TABLE supabase_functions.hooks IS 'Supabase Functions Hooks: Audit trail for triggered hooks.';

CREATE OR REPLACE FUNCTION supabase_functions.http_request()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = supabase_functions
AS $$
DECLARE
  target text := TG_ARGV[0];
  verb text := TG_ARGV[1];
  request_headers jsonb := '{"Content-Type": "application/json"}';
  query_params jsonb := '{}';
  timeout integer := 1000;
  queued bigint;
BEGIN
  IF target IS NULL OR target = 'null' THEN
    RAISE EXCEPTION 'url argument is missing';
  END IF;
  IF verb IS NULL OR verb = 'null' THEN
    RAISE EXCEPTION 'method argument is missing';
  END IF;
  IF TG_ARGV[2] IS NOT NULL AND TG_ARGV[2] <> 'null' THEN request_headers := TG_ARGV[2]::jsonb; END IF;
  IF TG_ARGV[3] IS NOT NULL AND TG_ARGV[3] <> 'null' THEN query_params := TG_ARGV[3]::jsonb; END IF;
  IF TG_ARGV[4] IS NOT NULL AND TG_ARGV[4] <> 'null' THEN timeout := TG_ARGV[4]::integer; END IF;

  IF verb = 'GET' THEN
    queued := net.http_get(target, query_params, request_headers, timeout);
  ELSIF verb = 'POST' THEN
    queued := net.http_post(
      target,
      jsonb_build_object('old_record', OLD, 'record', NEW, 'type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA),
      query_params,
      request_headers,
      timeout);
  ELSE
    RAISE EXCEPTION 'method argument % is invalid', verb;
  END IF;

  INSERT INTO supabase_functions.hooks (hook_table_id, hook_name, request_id) VALUES (TG_RELID, TG_NAME, queued);
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION supabase_functions.http_request() FROM PUBLIC;
