-- vault-schema.sql: Supabase Vault's SQL surface (schema `vault`) for the local Supabase database,
-- where the supabase_vault extension (and pgsodium, which it encrypts with) is not available.
-- Source: github.com/supabase/vault, sql/supabase_vault--0.3.0.sql (0.3.1 has no SQL changes).
-- Same table, view and functions, with the same names, parameters and defaults. EMULATION: the
-- secret is stored base64-encoded, not encrypted (libsodium's AEAD is C); development only.

CREATE SCHEMA IF NOT EXISTS vault;

CREATE TABLE vault.secrets (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text,
  description text        NOT NULL DEFAULT '',
  secret      text        NOT NULL,
  key_id      uuid,
  nonce       bytea,
  created_at  timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
COMMENT ON TABLE vault.secrets IS 'Table with encrypted `secret` column for storing sensitive information on disk.';
CREATE UNIQUE INDEX ON vault.secrets USING btree (name) WHERE name IS NOT NULL;

CREATE VIEW vault.decrypted_secrets AS
SELECT s.id, s.name, s.description, s.secret,
       convert_from(decode(s.secret, 'base64'), 'utf8') AS decrypted_secret, -- EMULATION: base64 only
       s.key_id, s.nonce, s.created_at, s.updated_at
  FROM vault.secrets s;

CREATE OR REPLACE FUNCTION vault.create_secret(new_secret text, new_name text = NULL, new_description text = '', new_key_id uuid = NULL)
RETURNS uuid
SECURITY DEFINER
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  created uuid;
BEGIN
  INSERT INTO vault.secrets (secret, name, description)
  VALUES (encode(convert_to(new_secret, 'utf8'), 'base64'), new_name, new_description)
  RETURNING id INTO created;
  RETURN created;
END
$$;

CREATE OR REPLACE FUNCTION vault.update_secret(secret_id uuid, new_secret text = NULL, new_name text = NULL, new_description text = NULL, new_key_id uuid = NULL)
RETURNS void
SECURITY DEFINER
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  UPDATE vault.secrets s
     SET secret = CASE WHEN new_secret IS NULL THEN s.secret ELSE encode(convert_to(new_secret, 'utf8'), 'base64') END,
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = now()
   WHERE s.id = secret_id;
END
$$;

-- As supabase_vault: the secrets are the owner's (postgres); nobody else reads them.
REVOKE ALL ON SCHEMA vault FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA vault FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA vault FROM PUBLIC;
