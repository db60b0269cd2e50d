// The stand-in on the local Supabase database where its rows could drift from its API: signups
// awaiting confirmation (confirmation_token_idx is unique), an update that changes nothing but
// updated_at, an email another audience holds (the unique index spans audiences: GoTrue answers
// 500), bulk-filled users with an updated_at of their own, and a state file older than the database.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAuthServer, type AuthServer } from '../dev/auth-server/server.js';
import { eventually } from './support/eventually.js';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';

const CLIENT_OPTIONS = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

describe('the stand-in on the local Supabase database: rows and API agree', () => {
  let supabase: LocalSupabase;
  let auth: AuthServer;
  let dir: string;

  beforeAll(async () => {
    supabase = await startLocalSupabase();
    dir = await mkdtemp(join(tmpdir(), 'authmirror-stand-in-'));
    auth = await startAuthServer({ quiet: true, rateLimitOtp: 0, rateLimitEmailSent: 0, databaseUrl: supabase.url });
  });

  afterAll(async () => {
    await auth?.close();
    await supabase?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const email = () => `edge-${randomBytes(5).toString('hex')}@example.com`;
  /** The row's version as text, microseconds included, or undefined while there is no row. */
  const rowVersion = async (id: string) =>
    (
      await supabase.auth.query<{ v: string }>(
        `SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS v FROM auth.users WHERE id = $1`,
        [id],
      )
    ).rows[0]?.v;
  const apiVersion = (server: AuthServer, id: string) =>
    server.admin
      .getUser(id)!
      .updated_at.replace(/(\.\d{6})\d*/, '$1')
      .replace(/\+00:00$/, 'Z');
  const agrees = (server: AuthServer, id: string) =>
    eventually(
      () => rowVersion(id),
      (version) => version === apiVersion(server, id),
    );

  it('writes every signup awaiting confirmation, each with a token of its own', async () => {
    const client = createClient(auth.url, auth.keys.anonKey, CLIENT_OPTIONS);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { data, error } = await client.auth.signUp({ email: email(), password: 'password-1' });
      expect(error).toBeNull();
      ids.push(data.user!.id);
    }
    for (const id of ids) await agrees(auth, id);
    const { rows } = await supabase.auth.query<{ token: string }>(
      'SELECT confirmation_token AS token FROM auth.users WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(new Set(rows.map((row) => row.token)).size).toBe(3);
  });

  it('moves updated_at for an update that changes nothing else', async () => {
    const address = email();
    const { data } = await createClient(auth.url, auth.keys.serviceRoleKey, CLIENT_OPTIONS).auth.admin.createUser({
      email: address,
      password: 'password-1',
      email_confirm: true,
      user_metadata: { plan: 'free' },
    });
    const client = createClient(auth.url, auth.keys.anonKey, CLIENT_OPTIONS);
    await client.auth.signInWithPassword({ email: address, password: 'password-1' });
    await agrees(auth, data.user!.id);
    const before = apiVersion(auth, data.user!.id);
    await client.auth.updateUser({ data: { plan: 'free' } });
    expect(apiVersion(auth, data.user!.id)).not.toBe(before);
    await agrees(auth, data.user!.id);
  });

  it("answers GoTrue's 500 for an email another audience holds, and writes no second row", async () => {
    const address = email();
    const admin = createClient(auth.url, auth.keys.serviceRoleKey, CLIENT_OPTIONS);
    expect((await admin.auth.admin.createUser({ email: address, email_confirm: true })).error).toBeNull();
    const other = await fetch(`${auth.url}/auth/v1/admin/users`, {
      method: 'POST',
      headers: {
        apikey: auth.keys.serviceRoleKey,
        authorization: `Bearer ${auth.keys.serviceRoleKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ email: address, aud: 'other' }),
    });
    expect(other.status).toBe(500);
    expect((await supabase.auth.query('SELECT count(*)::int AS n FROM auth.users WHERE email = $1', [address])).rows[0].n).toBe(1);
  });

  it('writes bulk-filled users with the updated_at they were given, as its API answers', async () => {
    const tag = randomBytes(4).toString('hex');
    auth.admin.bulkInsert(3, (i) => ({
      email: `bulk-${i}-${tag}@example.com`,
      created_at: '2024-01-01T00:00:00.000000Z',
      updated_at: '2024-06-01T00:00:00.000000Z',
    }));
    const ids = await eventually(
      async () =>
        (await supabase.auth.query<{ id: string }>('SELECT id::text FROM auth.users WHERE email LIKE $1', [`bulk-%-${tag}@example.com`]))
          .rows,
      (rows) => rows.length === 3,
    );
    for (const { id } of ids) {
      expect(apiVersion(auth, id)).toBe('2024-06-01T00:00:00.000000Z');
      await agrees(auth, id);
    }
  });

  it('imports the users of a state file kept before the database once, with the updated_at they had, then sets the file aside', async () => {
    const statePath = join(dir, 'auth-server.json');
    const plain = await startAuthServer({ quiet: true, persistPath: statePath });
    const admin = createClient(plain.url, plain.keys.serviceRoleKey, CLIENT_OPTIONS);
    const { data } = await admin.auth.admin.createUser({ email: email(), email_confirm: true });
    await admin.auth.admin.updateUserById(data.user!.id, { user_metadata: { later: true } });
    const before = apiVersion(plain, data.user!.id);
    await plain.close();
    const restarted = await startAuthServer({ quiet: true, persistPath: statePath, databaseUrl: supabase.url });
    try {
      expect(await rowVersion(data.user!.id)).toBe(before);
      const read = await createClient(restarted.url, restarted.keys.serviceRoleKey, CLIENT_OPTIONS).auth.admin.getUserById(data.user!.id);
      expect(read.data.user?.user_metadata.later).toBe(true);
      expect(existsSync(statePath)).toBe(false);
      expect(existsSync(`${statePath}.imported`)).toBe(true);
    } finally {
      await restarted.close();
    }
  });
});
