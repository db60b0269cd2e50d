-- GoTrue (supabase/auth) `auth` schema, final state at supabase/auth HEAD bc32168e (2026-08-20),
-- for auth.users, auth.identities, auth.sessions and auth.refresh_tokens only.
-- Each "-- <migration>" comment names the file in supabase/auth migrations/*.up.sql that added or
-- last changed that column, constraint or index. The result was checked against all 70 real
-- migrations run in order on PostgreSQL 17 with search_path=auth; columns, constraints, indexes,
-- comments, RLS flags and functions matched exactly, except the FK to auth.oauth_clients (see sessions).
--
-- Left out (Supabase creates them; we do not): auth.instances, auth.audit_log_entries,
-- auth.schema_migrations, auth.mfa_factors / mfa_challenges / mfa_amr_claims (and enums
-- factor_type, factor_status), auth.sso_providers / sso_domains / saml_providers /
-- saml_relay_states, auth.flow_state (enum code_challenge_method), auth.one_time_tokens (enum
-- one_time_token_type), auth.oauth_clients / oauth_authorizations / oauth_consents /
-- oauth_client_states (and their enums), auth.custom_oauth_providers, auth.webauthn_credentials /
-- webauthn_challenges. Note that GoTrue writes to mfa_amr_claims, one_time_tokens and
-- audit_log_entries in the flows we copy (see docs/gotrue-statements.md).
--
-- Roles and grants are left out too. On Supabase the tables are owned by supabase_auth_admin, which
-- has `search_path = auth` (GoTrue's SQL uses unqualified table names), and
-- 20240612123726_enable_rls_update_grants runs e.g.
--   grant select on auth.users to postgres with grant option;   (the same for every auth table)
-- Requires PostgreSQL 13+ (gen_random_uuid() is built in).
-- Run once, on a fresh database: psql -v ON_ERROR_STOP=1 -f auth-schema.sql

CREATE SCHEMA auth;

CREATE TYPE auth.aal_level AS ENUM ('aal1', 'aal2', 'aal3');                 -- 20221003041349_add_mfa_schema

-- ------------------------------------------------------------------------------------------------
-- auth.users
-- ------------------------------------------------------------------------------------------------
CREATE TABLE auth.users (
  instance_id uuid,                                                          -- 00_init_auth_schema (GoTrue writes the nil uuid, never NULL)
  id uuid NOT NULL,                                                          -- 00_init_auth_schema
  aud varchar(255),                                                          -- 00_init_auth_schema
  role varchar(255),                                                         -- 00_init_auth_schema
  email varchar(255),                                                        -- 00_init_auth_schema (its UNIQUE users_email_key dropped in 20221215195500_modify_users_email_unique_index)
  encrypted_password varchar(255),                                           -- 00_init_auth_schema
  email_confirmed_at timestamptz,                                            -- 20210710035447_alter_users (renamed from confirmed_at of 00_init_auth_schema)
  invited_at timestamptz,                                                    -- 00_init_auth_schema
  confirmation_token varchar(255),                                           -- 00_init_auth_schema
  confirmation_sent_at timestamptz,                                          -- 00_init_auth_schema
  recovery_token varchar(255),                                               -- 00_init_auth_schema
  recovery_sent_at timestamptz,                                              -- 00_init_auth_schema
  email_change_token_new varchar(255),                                       -- 20210730183235_add_email_change_confirmed (renamed from email_change_token)
  email_change varchar(255),                                                 -- 00_init_auth_schema
  email_change_sent_at timestamptz,                                          -- 00_init_auth_schema
  last_sign_in_at timestamptz,                                               -- 00_init_auth_schema
  raw_app_meta_data jsonb,                                                   -- 00_init_auth_schema
  raw_user_meta_data jsonb,                                                  -- 00_init_auth_schema
  is_super_admin boolean,                                                    -- 00_init_auth_schema
  created_at timestamptz,                                                    -- 00_init_auth_schema
  updated_at timestamptz,                                                    -- 00_init_auth_schema
  phone text DEFAULT NULL::character varying,                                -- 20230116124310_alter_phone_type (was varchar(15), added in 20210710035447_alter_users)
  phone_confirmed_at timestamptz,                                            -- 20210710035447_alter_users
  phone_change text DEFAULT ''::character varying,                           -- 20230116124310_alter_phone_type (was varchar(15), added in 20210710035447_alter_users)
  phone_change_token varchar(255) DEFAULT ''::character varying,             -- 20210710035447_alter_users
  phone_change_sent_at timestamptz,                                          -- 20210710035447_alter_users
  confirmed_at timestamptz
    GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED, -- 20210722035447_adds_confirmed_at
  email_change_token_current varchar(255) DEFAULT ''::character varying,     -- 20210730183235_add_email_change_confirmed
  email_change_confirm_status smallint DEFAULT 0
    CONSTRAINT users_email_change_confirm_status_check
    CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2), -- 20210730183235_add_email_change_confirmed
  banned_until timestamptz,                                                  -- 20220114185340_add_banned_until
  reauthentication_token varchar(255) DEFAULT ''::character varying,         -- 20220323170000_add_user_reauthentication
  reauthentication_sent_at timestamptz,                                      -- 20220323170000_add_user_reauthentication
  is_sso_user boolean NOT NULL DEFAULT false,                                -- 20221215195500_modify_users_email_unique_index
  deleted_at timestamptz,                                                    -- 20230116124412_add_deleted_at
  is_anonymous boolean NOT NULL DEFAULT false,                               -- 20240214120130_add_is_anonymous_column
  CONSTRAINT users_pkey PRIMARY KEY (id),                                    -- 00_init_auth_schema
  CONSTRAINT users_phone_key UNIQUE (phone)                                  -- 20210710035447_alter_users (still there; 20240806073726 drops mfa_factors_phone_key, not this)
);
COMMENT ON TABLE auth.users IS 'Auth: Stores user login data within a secure schema.';                   -- 00_init_auth_schema
COMMENT ON COLUMN auth.users.is_sso_user IS 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.'; -- 20221215195500_modify_users_email_unique_index

CREATE INDEX users_instance_id_idx ON auth.users USING btree (instance_id);                              -- 00_init_auth_schema
CREATE INDEX users_instance_id_email_idx ON auth.users USING btree (instance_id, lower((email)::text)); -- 20220114185221_update_user_idx (only with search_path=auth; otherwise (instance_id, email) survives)
CREATE UNIQUE INDEX confirmation_token_idx ON auth.users USING btree (confirmation_token)
  WHERE confirmation_token !~ '^[0-9 ]*$';                                                               -- 20220429102000_add_unique_idx
CREATE UNIQUE INDEX recovery_token_idx ON auth.users USING btree (recovery_token)
  WHERE recovery_token !~ '^[0-9 ]*$';                                                                   -- 20220429102000_add_unique_idx
CREATE UNIQUE INDEX email_change_token_current_idx ON auth.users USING btree (email_change_token_current)
  WHERE email_change_token_current !~ '^[0-9 ]*$';                                                       -- 20220429102000_add_unique_idx
CREATE UNIQUE INDEX email_change_token_new_idx ON auth.users USING btree (email_change_token_new)
  WHERE email_change_token_new !~ '^[0-9 ]*$';                                                           -- 20220429102000_add_unique_idx
CREATE UNIQUE INDEX reauthentication_token_idx ON auth.users USING btree (reauthentication_token)
  WHERE reauthentication_token !~ '^[0-9 ]*$';                                                           -- 20220429102000_add_unique_idx
CREATE UNIQUE INDEX users_email_partial_key ON auth.users USING btree (email) WHERE (is_sso_user = false); -- 20221215195500_modify_users_email_unique_index
COMMENT ON INDEX auth.users_email_partial_key IS 'Auth: A partial unique index that applies only when is_sso_user is false'; -- 20221215195500_modify_users_email_unique_index
CREATE INDEX users_is_anonymous_idx ON auth.users USING btree (is_anonymous);                            -- 20240214120130_add_is_anonymous_column

-- ------------------------------------------------------------------------------------------------
-- auth.identities
-- ------------------------------------------------------------------------------------------------
CREATE TABLE auth.identities (
  provider_id text NOT NULL,                                                 -- 20231117164230_add_id_pkey_identities (renamed from id of 20210909172000_create_identities_table)
  user_id uuid NOT NULL,                                                     -- 20210909172000_create_identities_table
  identity_data jsonb NOT NULL,                                              -- 20210909172000_create_identities_table
  provider text NOT NULL,                                                    -- 20210909172000_create_identities_table
  last_sign_in_at timestamptz,                                               -- 20210909172000_create_identities_table
  created_at timestamptz,                                                    -- 20210909172000_create_identities_table
  updated_at timestamptz,                                                    -- 20210909172000_create_identities_table
  email text GENERATED ALWAYS AS (lower((identity_data ->> 'email'::text))) STORED, -- 20221215195800_add_identities_email_column
  id uuid NOT NULL DEFAULT gen_random_uuid(),                                -- 20231117164230_add_id_pkey_identities
  CONSTRAINT identities_pkey PRIMARY KEY (id),                               -- 20231117164230_add_id_pkey_identities (was (provider, id))
  CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider), -- 20231117164230_add_id_pkey_identities
  CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES auth.users (id) ON DELETE CASCADE                             -- 20210909172000_create_identities_table
);
COMMENT ON TABLE auth.identities IS 'Auth: Stores identities associated to a user.';                      -- 20210909172000_create_identities_table
COMMENT ON COLUMN auth.identities.email IS 'Auth: Email is a generated column that references the optional email property in the identity_data'; -- 20221215195800_add_identities_email_column

CREATE INDEX identities_user_id_idx ON auth.identities USING btree (user_id);                            -- 20211122151130_create_user_id_idx (repeated in 20221027105023)
CREATE INDEX identities_email_idx ON auth.identities USING btree (email text_pattern_ops);                -- 20221215195800_add_identities_email_column
COMMENT ON INDEX auth.identities_email_idx IS 'Auth: Ensures indexed queries on the email column';       -- 20221215195800_add_identities_email_column

-- ------------------------------------------------------------------------------------------------
-- auth.sessions
-- ------------------------------------------------------------------------------------------------
CREATE TABLE auth.sessions (
  id uuid NOT NULL,                                                          -- 20220811173540_add_sessions_table
  user_id uuid NOT NULL,                                                     -- 20220811173540_add_sessions_table
  created_at timestamptz,                                                    -- 20220811173540_add_sessions_table
  updated_at timestamptz,                                                    -- 20220811173540_add_sessions_table
  factor_id uuid,                                                            -- 20221003041400_add_aal_and_factor_id_to_sessions
  aal auth.aal_level,                                                        -- 20221003041400_add_aal_and_factor_id_to_sessions
  not_after timestamptz,                                                     -- 20221114143122_add_session_not_after_column
  refreshed_at timestamp without time zone,                                  -- 20231027141322_add_session_refresh_columns (no time zone: GoTrue writes UTC)
  user_agent text,                                                           -- 20231027141322_add_session_refresh_columns
  ip inet,                                                                   -- 20231027141322_add_session_refresh_columns
  tag text,                                                                  -- 20231114161723_add_sessions_tag
  -- Supabase has sessions_oauth_client_id_fkey FOREIGN KEY (oauth_client_id) REFERENCES
  -- auth.oauth_clients(id) ON DELETE CASCADE; left out because auth.oauth_clients is not created here.
  oauth_client_id uuid,                                                      -- 20250904133000_add_oauth_client_id_to_session
  refresh_token_hmac_key text,                                               -- 20251007112900_add_session_refresh_token_columns
  refresh_token_counter bigint,                                              -- 20251007112900_add_session_refresh_token_columns
  scopes text,                                                               -- 20251111201300_add_scopes_to_sessions
  CONSTRAINT sessions_pkey PRIMARY KEY (id),                                 -- 20220811173540_add_sessions_table
  CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id)
    REFERENCES auth.users (id) ON DELETE CASCADE,                            -- 20220811173540_add_sessions_table
  CONSTRAINT sessions_scopes_length CHECK (char_length(scopes) <= 4096)     -- 20251111201300_add_scopes_to_sessions
);
COMMENT ON TABLE auth.sessions IS 'Auth: Stores session data associated to a user.';                      -- 20220811173540_add_sessions_table
COMMENT ON COLUMN auth.sessions.not_after IS 'Auth: Not after is a nullable column that contains a timestamp after which the session should be regarded as expired.'; -- 20221114143122_add_session_not_after_column
COMMENT ON COLUMN auth.sessions.refresh_token_hmac_key IS 'Holds a HMAC-SHA256 key used to sign refresh tokens for this session.'; -- 20251007112900_add_session_refresh_token_columns
COMMENT ON COLUMN auth.sessions.refresh_token_counter IS 'Holds the ID (counter) of the last issued refresh token.'; -- 20251007112900_add_session_refresh_token_columns

CREATE INDEX user_id_created_at_idx ON auth.sessions USING btree (user_id, created_at);                  -- 20221011041400_add_mfa_indexes
CREATE INDEX sessions_user_id_idx ON auth.sessions USING btree (user_id);                                -- 20221020193600_add_sessions_user_id_index
CREATE INDEX sessions_not_after_idx ON auth.sessions USING btree (not_after DESC);                        -- 20230508135423_add_cleanup_indexes
CREATE INDEX sessions_oauth_client_id_idx ON auth.sessions USING btree (oauth_client_id);                -- 20250904133000_add_oauth_client_id_to_session

-- ------------------------------------------------------------------------------------------------
-- auth.refresh_tokens
-- ------------------------------------------------------------------------------------------------
CREATE TABLE auth.refresh_tokens (
  instance_id uuid,                                                          -- 00_init_auth_schema
  id bigserial NOT NULL,                                                     -- 00_init_auth_schema (sequence auth.refresh_tokens_id_seq)
  token varchar(255),                                                        -- 00_init_auth_schema
  user_id varchar(255),                                                      -- 00_init_auth_schema (text form of the uuid; no FK)
  revoked boolean,                                                           -- 00_init_auth_schema
  created_at timestamptz,                                                    -- 00_init_auth_schema
  updated_at timestamptz,                                                    -- 00_init_auth_schema
  parent varchar(255),                                                       -- 20210927181326_add_refresh_token_parent (its FK dropped in 20221114143410_remove_parent_foreign_key_refresh_tokens)
  session_id uuid,                                                           -- 20220811173540_add_sessions_table
  CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),                           -- 00_init_auth_schema
  CONSTRAINT refresh_tokens_token_unique UNIQUE (token),                     -- 20210927181326_add_refresh_token_parent
  CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id)
    REFERENCES auth.sessions (id) ON DELETE CASCADE                          -- 20220811173540_add_sessions_table
);
COMMENT ON TABLE auth.refresh_tokens IS 'Auth: Store of tokens used to refresh JWT tokens once they expire.'; -- 00_init_auth_schema

CREATE INDEX refresh_tokens_instance_id_idx ON auth.refresh_tokens USING btree (instance_id);            -- 00_init_auth_schema
CREATE INDEX refresh_tokens_instance_id_user_id_idx ON auth.refresh_tokens USING btree (instance_id, user_id); -- 00_init_auth_schema
-- (refresh_tokens_token_idx of 00_init_auth_schema was dropped in 20230411005111_remove_duplicate_idx)
CREATE INDEX refresh_tokens_parent_idx ON auth.refresh_tokens USING btree (parent);                     -- 20210927181326_add_refresh_token_parent
CREATE INDEX refresh_tokens_session_id_revoked_idx ON auth.refresh_tokens USING btree (session_id, revoked); -- 20221021073300_add_refresh_tokens_session_id_revoked_index
CREATE INDEX refresh_tokens_updated_at_idx ON auth.refresh_tokens USING btree (updated_at DESC);         -- 20230508135423_add_cleanup_indexes

-- ------------------------------------------------------------------------------------------------
-- Row level security: enabled, no policies. Table owners and superusers bypass it; any other
-- role sees no rows until it is given a policy (or BYPASSRLS).
-- ------------------------------------------------------------------------------------------------
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;                                                        -- 20240612123726_enable_rls_update_grants
ALTER TABLE auth.identities ENABLE ROW LEVEL SECURITY;                                                   -- 20240612123726_enable_rls_update_grants
ALTER TABLE auth.sessions ENABLE ROW LEVEL SECURITY;                                                     -- 20240612123726_enable_rls_update_grants
ALTER TABLE auth.refresh_tokens ENABLE ROW LEVEL SECURITY;                                               -- 20240612123726_enable_rls_update_grants

-- ------------------------------------------------------------------------------------------------
-- JWT helper functions (read PostgREST's request.jwt.claim(s) settings; NULL outside PostgREST)
-- ------------------------------------------------------------------------------------------------
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;                                                                                                      -- 20220224000811_update_auth_functions
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;                                                                                                      -- 20220224000811_update_auth_functions
CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;                                                                                                      -- 20220224000811_update_auth_functions
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;                                                                                                      -- 20220531120530_add_auth_jwt_function
COMMENT ON FUNCTION auth.uid() IS 'Deprecated. Use auth.jwt() -> ''sub'' instead.';                     -- 20220531120530_add_auth_jwt_function
COMMENT ON FUNCTION auth.role() IS 'Deprecated. Use auth.jwt() -> ''role'' instead.';                   -- 20220531120530_add_auth_jwt_function
COMMENT ON FUNCTION auth.email() IS 'Deprecated. Use auth.jwt() -> ''email'' instead.';                 -- 20220531120530_add_auth_jwt_function
