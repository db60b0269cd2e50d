// supabase/authmirror-trigger.sql against a real Postgres: stand-ins for GoTrue's auth.users
// and pg_net's net.http_post (which records what it would send), the real install script,
// and the standardwebhooks package as the receiver would use it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const INSTALL = new URL('../supabase/authmirror-trigger.sql', import.meta.url);
const UNINSTALL = new URL('../supabase/uninstall.sql', import.meta.url);
const ENDPOINT = 'https://authmirror.example.com/webhooks/supabase';
const SECRET = `v1,whsec_${randomBytes(32).toString('base64')}`;
const OTHER_SECRET = `v1,whsec_${randomBytes(32).toString('base64')}`;
const ROLE = `authmirror_gotrue_${process.pid}_${randomBytes(3).toString('hex')}`;

// The columns of GoTrue's auth.users (auth:migrations, up to is_anonymous), same types.
// As on Supabase: pgcrypto in schema `extensions`.
const SUPABASE_EXTENSIONS = `
  CREATE SCHEMA extensions;
  CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
`;

const STAND_INS = `
  CREATE SCHEMA auth;
  CREATE TABLE auth.users (
    instance_id uuid,
    id uuid PRIMARY KEY,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text UNIQUE DEFAULT NULL,
    phone_confirmed_at timestamptz,
    phone_change text DEFAULT '',
    phone_change_token varchar(255) DEFAULT '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    email_change_token_current varchar(255) DEFAULT '',
    email_change_confirm_status smallint DEFAULT 0,
    banned_until timestamptz,
    reauthentication_token varchar(255) DEFAULT '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    is_anonymous boolean NOT NULL DEFAULT false
  );
  -- What authmirror.revoke_session deletes from (GoTrue's 20221003041349_add_mfa_schema: sessions).
  CREATE TABLE auth.sessions (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE);

  -- pg_net's signature and checks; records body::text, which is what pg_net sends.
  CREATE SCHEMA net;
  CREATE TABLE net.calls (
    id bigserial PRIMARY KEY,
    url text NOT NULL,
    body_text text NOT NULL,
    headers jsonb NOT NULL,
    timeout_milliseconds integer NOT NULL
  );
  CREATE FUNCTION net.http_post(
    url text,
    body jsonb DEFAULT '{}'::jsonb,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds integer DEFAULT 5000
  ) RETURNS bigint LANGUAGE plpgsql AS $$
  DECLARE
    call_id bigint;
  BEGIN
    IF current_setting('test.pg_net_down', true) = 'on' THEN
      RAISE EXCEPTION 'the pg_net background worker must be up when doing requests';
    END IF;
    IF (SELECT value FROM jsonb_each_text(headers) WHERE lower(key) = 'content-type') <> 'application/json' THEN
      RAISE EXCEPTION 'Content-Type header must be "application/json"';
    END IF;
    IF body IS NULL THEN
      RAISE EXCEPTION 'body must not be null';
    END IF;
    INSERT INTO net.calls (url, body_text, headers, timeout_milliseconds)
    VALUES (url, body::text, headers, timeout_milliseconds)
    RETURNING id INTO call_id;
    RETURN call_id;
  END
  $$;
`;

interface Call {
  id: string;
  url: string;
  body_text: string;
  headers: Record<string, string>;
  timeout_milliseconds: number;
}

let database: TestDatabase;
let db: pg.Client;
const warnings: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  db.on('notice', (notice) => {
    if (notice.severity === 'WARNING') warnings.push(notice.message ?? '');
  });
  await db.query(SUPABASE_EXTENSIONS + STAND_INS);
  await db.query(await readFile(INSTALL, 'utf8'));
  await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);
});

afterAll(async () => {
  await db?.query(`DROP OWNED BY ${ROLE}`).catch(() => undefined);
  await db?.query(`DROP ROLE IF EXISTS ${ROLE}`);
  await db?.end();
  await database?.drop();
});

/** Runs statements and returns the calls net.http_post recorded meanwhile. */
async function callsDuring(...statements: Array<[string, unknown[]?]>): Promise<Call[]> {
  const { rows } = await db.query('SELECT coalesce(max(id), 0) AS last FROM net.calls');
  for (const [sql, params] of statements) await db.query(sql, params);
  const calls = await db.query<Call>('SELECT * FROM net.calls WHERE id > $1 ORDER BY id', [rows[0].last]);
  return calls.rows;
}

/** The receiving side: standardwebhooks strips "whsec_" but not the "v1," that Supabase's secrets carry. */
function receiver(secret: string): Webhook {
  return new Webhook(secret.replace(/^v1,/, ''));
}

function event(call: Call): { type: string; user: Record<string, unknown> } {
  return JSON.parse(call.body_text);
}

async function insertUser(columns: Record<string, unknown> = {}): Promise<{ id: string; calls: Call[] }> {
  const id = randomUUID();
  const row: Record<string, unknown> = {
    id,
    aud: 'authenticated',
    role: 'authenticated',
    email: `${id.slice(0, 8)}@example.com`,
    encrypted_password: '$2a$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
    raw_app_meta_data: { provider: 'email', providers: ['email'] },
    raw_user_meta_data: {},
    created_at: '2025-01-02 03:04:05.123456+00',
    updated_at: '2025-01-02 03:04:05.123456+00',
    ...columns,
  };
  const names = Object.keys(row);
  const calls = await callsDuring([
    `INSERT INTO auth.users (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    names.map((name) => row[name]),
  ]);
  return { id, calls };
}

describe('supabase/authmirror-trigger.sql', () => {
  it('sends one signed user.created for an INSERT, with the Supabase user object', async () => {
    const { id, calls } = await insertUser({
      email: 'ada@example.com',
      phone: '447700900123',
      email_confirmed_at: '2025-01-02 03:04:06.5+00',
      last_sign_in_at: '2025-01-02 03:04:07.000001+00',
      raw_user_meta_data: { first_name: 'Ada', email_verified: true },
      confirmation_token: 'confirmation-token-value',
      recovery_token: 'recovery-token-value',
    });

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.url).toBe(ENDPOINT);
    expect(call.timeout_milliseconds).toBe(5000);
    expect(call.headers['Content-Type']).toBe('application/json');
    expect(call.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Number(call.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(call.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(event(call)).toEqual({
      type: 'user.created',
      user: {
        id,
        aud: 'authenticated',
        role: 'authenticated',
        email: 'ada@example.com',
        phone: '447700900123',
        email_confirmed_at: '2025-01-02T03:04:06.500000Z',
        phone_confirmed_at: null,
        confirmed_at: '2025-01-02T03:04:06.500000Z',
        last_sign_in_at: '2025-01-02T03:04:07.000001Z',
        app_metadata: { provider: 'email', providers: ['email'] },
        user_metadata: { first_name: 'Ada', email_verified: true },
        is_anonymous: false,
        banned_until: null,
        created_at: '2025-01-02T03:04:05.123456Z',
        updated_at: '2025-01-02T03:04:05.123456Z',
        deleted_at: null,
      },
    });
    expect(receiver(SECRET).verify(call.body_text, call.headers)).toEqual(event(call));
  });

  it('renders every timestamp in UTC with six fractional digits, whatever the session time zone', async () => {
    await db.query(`SET TimeZone = 'Asia/Kolkata'`);
    try {
      const { calls } = await insertUser({
        created_at: '2025-06-30 23:59:59.9+05:30',
        updated_at: '2025-07-01 00:00:00+02',
        banned_until: '2125-01-01 00:00:00.000010+00',
      });
      const { user } = event(calls[0]);
      expect(user.created_at).toBe('2025-06-30T18:29:59.900000Z');
      expect(user.updated_at).toBe('2025-06-30T22:00:00.000000Z');
      expect(user.banned_until).toBe('2125-01-01T00:00:00.000010Z');
    } finally {
      await db.query('RESET TimeZone');
    }
  });

  it('sends one user.updated for an UPDATE of something the mirror keeps', async () => {
    const { id } = await insertUser();
    const calls = await callsDuring([
      `UPDATE auth.users SET raw_user_meta_data = '{"tier": "gold"}', updated_at = '2025-02-03 04:05:06.654321+00' WHERE id = $1`,
      [id],
    ]);

    expect(calls).toHaveLength(1);
    expect(event(calls[0])).toMatchObject({
      type: 'user.updated',
      user: { id, user_metadata: { tier: 'gold' }, updated_at: '2025-02-03T04:05:06.654321Z', deleted_at: null },
    });
  });

  it('sends nothing for an UPDATE that changes nothing the mirror keeps', async () => {
    const { id } = await insertUser();
    const calls = await callsDuring(
      ['UPDATE auth.users SET email = email WHERE id = $1', [id]],
      ['UPDATE auth.users SET confirmation_sent_at = now(), confirmation_token = $2 WHERE id = $1', [id, 'new-token']],
      ['UPDATE auth.users SET encrypted_password = $2, updated_at = now() WHERE id = $1', [id, '$2a$10$another-hash']],
      ['UPDATE auth.users SET recovery_token = $2, recovery_sent_at = now() WHERE id = $1', [id, 'recovery']],
    );
    expect(calls).toEqual([]);
  });

  it('sends user.deleted with the user object for a soft delete, and with the id for a DELETE', async () => {
    const { id } = await insertUser();
    const soft = await callsDuring([`UPDATE auth.users SET deleted_at = '2025-03-04 05:06:07.000100+00' WHERE id = $1`, [id]]);
    const hard = await callsDuring(['DELETE FROM auth.users WHERE id = $1', [id]]);

    expect(soft).toHaveLength(1);
    expect(event(soft[0])).toMatchObject({
      type: 'user.deleted',
      user: { id, email: `${id.slice(0, 8)}@example.com`, deleted_at: '2025-03-04T05:06:07.000100Z' },
    });
    expect(hard).toHaveLength(1);
    const deleted = event(hard[0]);
    expect(deleted.type).toBe('user.deleted');
    expect(Object.keys(deleted.user).sort()).toEqual(['deleted_at', 'id']);
    expect(deleted.user.id).toBe(id);
    expect(deleted.user.deleted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    for (const call of [...soft, ...hard]) expect(() => receiver(SECRET).verify(call.body_text, call.headers)).not.toThrow();
  });

  it('signs the exact UTF-8 body, with non-ASCII text, backslashes and quotes in metadata', async () => {
    const { calls } = await insertUser({
      raw_user_meta_data: { name: 'Zoë 🦊 Ñúñez', path: 'C:\\temp\\x', quote: 'say "hi"\n', nested: { a: [1, 2.5, null] } },
    });
    const payload = receiver(SECRET).verify(calls[0].body_text, calls[0].headers) as { user: Record<string, unknown> };
    expect(payload.user.user_metadata).toEqual({
      name: 'Zoë 🦊 Ñúñez',
      path: 'C:\\temp\\x',
      quote: 'say "hi"\n',
      nested: { a: [1, 2.5, null] },
    });
  });

  it('accepts the secret with or without its "v1," prefix, and verification fails with another secret or a changed body', async () => {
    const bare = SECRET.slice('v1,'.length);
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, bare]);
    const { calls } = await insertUser();
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);

    const [call] = calls;
    expect(() => receiver(SECRET).verify(call.body_text, call.headers)).not.toThrow();
    expect(() => receiver(bare).verify(call.body_text, call.headers)).not.toThrow();
    expect(() => receiver(OTHER_SECRET).verify(call.body_text, call.headers)).toThrow('No matching signature found');
    expect(() => receiver(SECRET).verify(call.body_text.replace('example.com', 'example.org'), call.headers)).toThrow(
      'No matching signature found',
    );
  });

  it('never sends encrypted_password or any token, and every recorded call verifies', async () => {
    const { id } = await insertUser({
      encrypted_password: 'SECRET-HASH-VALUE',
      confirmation_token: 'SECRET-CONFIRMATION',
      recovery_token: 'SECRET-RECOVERY',
      email_change_token_new: 'SECRET-EMAIL-CHANGE',
      phone_change_token: 'SECRET-PHONE-CHANGE',
      reauthentication_token: 'SECRET-REAUTH',
    });
    await db.query(`UPDATE auth.users SET last_sign_in_at = now(), email_change_token_current = 'SECRET-CURRENT' WHERE id = $1`, [id]);
    await db.query('DELETE FROM auth.users WHERE id = $1', [id]);

    const { rows } = await db.query<Call>('SELECT * FROM net.calls ORDER BY id');
    expect(rows.length).toBeGreaterThan(8);
    for (const call of rows) {
      expect(call.body_text).not.toMatch(/SECRET-|encrypted_password|_token|\$2a\$/);
      expect(() => receiver(SECRET).verify(call.body_text, call.headers)).not.toThrow();
      expect(() => receiver(OTHER_SECRET).verify(call.body_text, call.headers)).toThrow();
    }
    expect(new Set(rows.map((call) => call.headers['webhook-id'])).size).toBe(rows.length);
  });

  it('never fails the change on auth.users when it cannot send', async () => {
    warnings.length = 0;
    await db.query(`UPDATE authmirror.settings SET secret = 'v1,whsec_abc'`); // not base64
    const badSecret = await insertUser();
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);

    await db.query(`SET test.pg_net_down = 'on'`);
    const netDown = await insertUser();
    await db.query('RESET test.pg_net_down');

    await db.query('DELETE FROM authmirror.settings');
    const unconfigured = await insertUser();
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);

    for (const { id, calls } of [badSecret, netDown, unconfigured]) {
      expect(calls).toEqual([]);
      const { rowCount } = await db.query('SELECT 1 FROM auth.users WHERE id = $1', [id]);
      expect(rowCount).toBe(1);
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^authmirror: INSERT on auth.users not delivered: .*base64/);
    expect(warnings[1]).toMatch(/pg_net background worker/);
    expect(warnings.join('\n')).not.toContain(SECRET.slice(9));
    expect((await insertUser()).calls).toHaveLength(1);
  });

  it('configure() refuses a malformed URL or secret without echoing the secret', async () => {
    await expect(db.query('SELECT authmirror.configure($1, $2)', ['ftp://x', SECRET])).rejects.toThrow('url must be');
    for (const secret of ['not-a-secret', 'whsec_abc', 'v1,whsec_ab!d']) {
      const error = await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, secret]).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/secret must be/);
      expect((error as Error).message).not.toContain(secret);
    }
    const { rows } = await db.query('SELECT endpoint_url, secret FROM authmirror.settings');
    expect(rows).toEqual([{ endpoint_url: ENDPOINT, secret: SECRET }]);
  });

  it("works when GoTrue's own role writes auth.users, and that role cannot read the secret", async () => {
    await db.query(`CREATE ROLE ${ROLE} NOLOGIN`);
    await db.query(`GRANT USAGE ON SCHEMA auth TO ${ROLE}`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON auth.users TO ${ROLE}`);
    const id = randomUUID();
    const calls = await callsDuring(
      [`SET ROLE ${ROLE}`],
      [
        "INSERT INTO auth.users (id, aud, role, email, created_at, updated_at) VALUES ($1, 'authenticated', 'authenticated', 'gotrue@example.com', now(), now())",
        [id],
      ],
      ['RESET ROLE'],
    );
    expect(calls.map((call) => event(call))).toMatchObject([{ type: 'user.created', user: { id, email: 'gotrue@example.com' } }]);

    await db.query(`SET ROLE ${ROLE}`);
    try {
      await expect(db.query('SELECT secret FROM authmirror.settings')).rejects.toMatchObject({ code: '42501' });
      await expect(db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, OTHER_SECRET])).rejects.toMatchObject({ code: '42501' });
      await expect(db.query(`SELECT authmirror.signature('whsec_AAAA', 'a', 1, 'b')`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await db.query('RESET ROLE');
    }
  });

  it('can be installed again: settings kept, one trigger, still one event per change', async () => {
    await db.query(await readFile(INSTALL, 'utf8'));
    await db.query(await readFile(INSTALL, 'utf8'));

    const triggers = await db.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal`);
    expect(triggers.rows).toEqual([{ tgname: 'authmirror_deliver' }]);
    const { rows } = await db.query('SELECT endpoint_url, secret FROM authmirror.settings');
    expect(rows).toEqual([{ endpoint_url: ENDPOINT, secret: SECRET }]);
    const { calls } = await insertUser();
    expect(calls).toHaveLength(1);
    expect(() => receiver(SECRET).verify(calls[0].body_text, calls[0].headers)).not.toThrow();
  });

  it('uninstalls cleanly, twice, and can be installed again afterwards', async () => {
    await db.query(await readFile(UNINSTALL, 'utf8'));
    await db.query(await readFile(UNINSTALL, 'utf8'));
    expect((await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'authmirror'`)).rowCount).toBe(0);
    expect((await insertUser()).calls).toEqual([]);

    await db.query(await readFile(INSTALL, 'utf8'));
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);
    expect((await insertUser()).calls).toHaveLength(1);
  });
});

describe('pgcrypto resolution', () => {
  it.each([
    ['installs pgcrypto into schema extensions where it is missing', '', 'extensions'],
    ['uses pgcrypto where it already is, here schema public', 'CREATE EXTENSION pgcrypto WITH SCHEMA public;', 'public'],
  ])('%s', async (_title, setup, expectedSchema) => {
    const other = await createTestDatabase();
    const client = new pg.Client({ connectionString: other.url });
    await client.connect();
    try {
      await client.query(setup + STAND_INS);
      await client.query(await readFile(INSTALL, 'utf8'));
      await client.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);
      await client.query(`INSERT INTO auth.users (id, email, created_at, updated_at) VALUES ($1, 'x@example.com', now(), now())`, [
        randomUUID(),
      ]);

      const schema = await client.query(
        `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'`,
      );
      expect(schema.rows).toEqual([{ nspname: expectedSchema }]);
      const { rows } = await client.query<Call>('SELECT * FROM net.calls');
      expect(rows).toHaveLength(1);
      expect(() => receiver(SECRET).verify(rows[0].body_text, rows[0].headers)).not.toThrow();
    } finally {
      await client.end();
      await other.drop();
    }
  });
});

describe('pg_net resolution', () => {
  it('refuses to install, changing nothing, where pg_net is neither installed nor available', async () => {
    const available = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_net'`);
    if (available.rowCount) return; // this server ships pg_net: the case cannot happen here
    const other = await createTestDatabase();
    const client = new pg.Client({ connectionString: other.url });
    await client.connect();
    try {
      await client.query(STAND_INS.replace(/CREATE SCHEMA net;[\s\S]*$/, ''));
      await expect(client.query(await readFile(INSTALL, 'utf8'))).rejects.toThrow('pg_net extension is not available');
      await client.query('ROLLBACK');
      expect((await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'authmirror'`)).rowCount).toBe(0);
    } finally {
      await client.end();
      await other.drop();
    }
  });
});

describe('POST /webhooks/supabase receiving what the trigger sends', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { SUPABASE_WEBHOOK_SECRET: SECRET } });
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** Sends a recorded call as pg_net would: same URL path, headers and body bytes. */
  async function replay(call: Call): Promise<number> {
    const response = await fetch(`${stack.url}/webhooks/supabase`, { method: 'POST', headers: call.headers, body: call.body_text });
    await response.arrayBuffer();
    return response.status;
  }

  it('mirrors the user on user.created and user.updated, and removes it on user.deleted', async () => {
    const { id, calls: created } = await insertUser({ email: 'replay@example.com', raw_user_meta_data: { first_name: 'Grace' } });
    const updated = await callsDuring([
      `UPDATE auth.users SET raw_user_meta_data = '{"first_name": "Grace", "tier": "gold"}', updated_at = '2025-02-03 04:05:06.654321+00' WHERE id = $1`,
      [id],
    ]);

    for (const call of [...created, ...updated]) expect(await replay(call)).toBe(200);
    const row = await stack.db.query(
      `SELECT email, user_metadata, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS version, deleted_at
         FROM users WHERE id = $1`,
      [id],
    );
    expect(row.rows).toEqual([
      {
        email: 'replay@example.com',
        user_metadata: { first_name: 'Grace', tier: 'gold' },
        version: '2025-02-03 04:05:06.654321',
        deleted_at: null,
      },
    ]);
    expect(await replay(updated[0])).toBe(200); // a repeated delivery changes nothing

    const deleted = await callsDuring(['DELETE FROM auth.users WHERE id = $1', [id]]);
    expect(await replay(deleted[0])).toBe(200);
    const live = await stack.db.query('SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL', [id]);
    expect(live.rowCount).toBe(0);
  });

  it('refuses a call signed with another secret', async () => {
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, OTHER_SECRET]);
    const { id, calls } = await insertUser();
    await db.query('SELECT authmirror.configure($1, $2)', [ENDPOINT, SECRET]);

    expect(await replay(calls[0])).toBe(401);
    expect((await stack.db.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount).toBe(0);
  });
});
