import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { newWebhookSecret, rawUserRow, signedHeaders, supabaseUser } from './support/deliveries.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const secret = newWebhookSecret();
const rotatedSecret = newWebhookSecret();
const dbToken = 'db-webhook-token-0123456789abcdef';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { SUPABASE_WEBHOOK_SECRET: `${secret} ${rotatedSecret}`, SUPABASE_DB_WEBHOOK_TOKEN: dbToken },
  });
});

afterAll(async () => {
  await stack?.close();
});

function version(second: number, micro = '000000'): string {
  return `2026-02-01T00:00:${String(second).padStart(2, '0')}.${micro}Z`;
}

async function sendSigned(payload: unknown, options: { id?: string; at?: Date; key?: string } = {}) {
  const body = JSON.stringify(payload);
  return stack.request('POST', '/webhooks/supabase', { body, headers: signedHeaders(options.key ?? secret, body, options) });
}

async function sendDatabase(payload: unknown, token = dbToken) {
  return stack.request('POST', '/webhooks/supabase', {
    body: JSON.stringify(payload),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
}

async function mirrored(id: string) {
  const { rows } = await stack.db.query('SELECT email, phone, user_metadata, updated_at, deleted_at FROM users WHERE id = $1', [id]);
  return rows[0];
}

describe('signed deliveries', () => {
  it('applies user.created, and a replay of the same delivery changes nothing', async () => {
    const id = randomUUID();
    const deliveryId = randomUUID();
    const first = await sendSigned({ type: 'user.created', user: supabaseUser(id, version(1)) }, { id: deliveryId });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'applied', eventType: 'user.created', outcome: 'created' });

    // Same webhook-id, newer content: it is the same delivery, so it is not applied again.
    const replay = await sendSigned(
      { type: 'user.created', user: supabaseUser(id, version(2), { email: 'changed@example.com' }) },
      { id: deliveryId },
    );
    expect(replay.status).toBe(200);
    expect(replay.body.status).toBe('duplicate');
    expect((await mirrored(id)).email).toBe(`${id.slice(0, 8)}@example.com`);
  });

  it('lets the newer of two out-of-order updates win', async () => {
    const id = randomUUID();
    await sendSigned({ type: 'user.updated', user: supabaseUser(id, version(9), { user_metadata: { step: 2 } }) });
    const older = await sendSigned({ type: 'user.updated', user: supabaseUser(id, version(8), { user_metadata: { step: 1 } }) });
    expect(older.body.outcome).toBe('stale');
    expect((await mirrored(id)).user_metadata).toEqual({ step: 2 });
  });

  it('keeps a user deleted when the delete arrives before the create', async () => {
    const id = randomUUID();
    const deleted = await sendSigned({ type: 'user.deleted', user: { id } });
    expect(deleted.body.outcome).toBe('deleted');
    const late = await sendSigned({ type: 'user.created', user: supabaseUser(id, version(30)) });
    expect(late.status).toBe(200);
    expect(late.body.outcome).toBe('deleted');
    expect(await mirrored(id)).toMatchObject({ email: null, user_metadata: {} });
    expect((await mirrored(id)).deleted_at).toBeInstanceOf(Date);
  });

  it('deletes on user.deleted whose deleted_at Postgres could not store, at the time of the delivery', async () => {
    const id = randomUUID();
    await sendSigned({ type: 'user.created', user: supabaseUser(id, version(1)) });
    const before = Date.now();
    const deleted = await sendSigned({ type: 'user.deleted', user: { id, deleted_at: '2026-02-30T00:00:00Z' } });
    expect(deleted.status).toBe(200);
    expect(deleted.body.outcome).toBe('deleted');
    expect(((await mirrored(id)).deleted_at as Date).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('treats user.updated with deleted_at (soft delete) as a deletion', async () => {
    const id = randomUUID();
    await sendSigned({ type: 'user.created', user: supabaseUser(id, version(1)) });
    const soft = await sendSigned({ type: 'user.updated', user: supabaseUser(id, version(2), { deleted_at: version(2) }) });
    expect(soft.body.outcome).toBe('deleted');
    expect((await mirrored(id)).deleted_at).not.toBeNull();
  });

  it('accepts any of the rotated secrets and refuses bad or stale signatures', async () => {
    const user = { type: 'user.created', user: supabaseUser(randomUUID(), version(1)) };
    expect((await sendSigned(user, { key: rotatedSecret })).status).toBe(200);
    for (const answer of [
      await sendSigned(user, { key: newWebhookSecret() }),
      await sendSigned(user, { at: new Date(Date.now() - 6 * 60_000) }),
      await sendSigned(user, { at: new Date(Date.now() + 6 * 60_000) }),
    ]) {
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('invalid_signature');
    }
    const body = JSON.stringify(user);
    const tampered = signedHeaders(secret, body);
    const changed = await stack.request('POST', '/webhooks/supabase', {
      body: body.replace('user.created', 'user.updated'),
      headers: tampered,
    });
    expect(changed.status).toBe(401);
  });

  it('answers 202 for unknown event types and 400 for malformed ones', async () => {
    expect((await sendSigned({ type: 'user.banned', user: { id: randomUUID() } })).status).toBe(202);
    const invalid = await sendSigned({ type: 'user.created', user: { id: 'not-a-uuid' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('invalid_payload');
    expect((await sendSigned({ type: 'user.created', user: supabaseUser(randomUUID(), 'yesterday') })).status).toBe(400);
    const notJson = await stack.request('POST', '/webhooks/supabase', { body: '{oops', headers: signedHeaders(secret, '{oops') });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('invalid_payload');
  });

  it.each([
    ['a NUL in user_metadata', { user_metadata: { note: 'a\u0000b' } }, 'user_metadata.note'],
    ['a NUL in a metadata key', { app_metadata: { 'a\u0000': 1 } }, 'app_metadata.a'],
    ['an unpaired surrogate in user_metadata', { user_metadata: { list: ['ok', '\udc00'] } }, 'user_metadata.list[1]'],
    ['a NUL in the email', { email: 'a\u0000b@example.com' }, 'email'],
    ['a NUL in the role', { role: 'authenticated\u0000' }, 'role'],
    // Random text: a B-tree entry is compressed first, so a repetitive one would still fit the index.
    [
      'an email longer than an address can be',
      { email: `${randomBytes(4500).toString('hex')}@example.com` },
      'email is longer than 254 characters',
    ],
    ['a timestamp a day past the end of its month', { updated_at: '2026-02-30T00:00:00Z' }, 'updated_at'],
    ['a timestamp in year 0', { created_at: '0000-01-01T00:00:00Z' }, 'created_at'],
    ['a timestamp with an offset of 25 hours', { email_confirmed_at: '2026-01-01T00:00:00+25:00' }, 'email_confirmed_at'],
    ['a timestamp without a time', { last_sign_in_at: 'March 7, 2026' }, 'last_sign_in_at'],
  ])('answers 400 invalid_payload for %s (Postgres could not store it), and writes nothing', async (_case, patch, field) => {
    const id = randomUUID();
    const answer = await sendSigned({ type: 'user.created', user: { ...supabaseUser(id, version(1)), ...patch } });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_payload');
    expect(answer.body.message).toContain(field);
    expect(await mirrored(id)).toBeUndefined();
    // An emoji is a surrogate pair, not an unpaired surrogate: stored as it is.
    const fine = await sendSigned({
      type: 'user.created',
      user: supabaseUser(id, version(1), { user_metadata: { note: 'ok 💥 \\u0000' } }),
    });
    expect(fine.status).toBe(200);
    expect((await mirrored(id)).user_metadata).toEqual({ note: 'ok 💥 \\u0000' });
  });

  it('stores an email of 254 characters, the longest an address can be', async () => {
    const id = randomUUID();
    const longest = `${'a'.repeat(64)}@${'b'.repeat(181)}.example`;
    expect(longest).toHaveLength(254);
    expect((await sendSigned({ type: 'user.created', user: supabaseUser(id, version(1), { email: longest }) })).status).toBe(200);
    expect((await mirrored(id)).email).toBe(longest);
  });
});

describe('Database Webhook deliveries', () => {
  it('applies INSERT and UPDATE rows, keeping nothing of the sensitive columns', async () => {
    const id = randomUUID();
    const insert = await sendDatabase({
      type: 'INSERT',
      table: 'users',
      schema: 'auth',
      record: rawUserRow(id, '2026-02-01T00:00:01.123456+00:00'),
      old_record: null,
    });
    expect(insert.status).toBe(200);
    expect(insert.body.outcome).toBe('created');
    const update = await sendDatabase({
      type: 'UPDATE',
      table: 'users',
      schema: 'auth',
      record: rawUserRow(id, '2026-02-01T00:00:01.123457+00:00', { raw_user_meta_data: { first_name: 'Changed' } }),
      old_record: rawUserRow(id, '2026-02-01T00:00:01.123456+00:00'),
    });
    expect(update.body.outcome).toBe('updated');
    expect(await mirrored(id)).toMatchObject({ phone: '+447700900123', user_metadata: { first_name: 'Changed' } });

    const everything = JSON.stringify(
      (
        await stack.db.query(
          `SELECT (SELECT json_agg(u) FROM users u WHERE u.id = $1) AS users,
              (SELECT json_agg(d) FROM webhook_deliveries d WHERE d.user_id = $1) AS deliveries`,
          [id],
        )
      ).rows[0],
    );
    expect(everything).not.toContain('$2a$10$');
    expect(everything).not.toContain('secret-confirmation-token');
  });

  it('deletes on DELETE and on an UPDATE that sets deleted_at', async () => {
    const hard = randomUUID();
    await sendDatabase({
      type: 'INSERT',
      table: 'users',
      schema: 'auth',
      record: rawUserRow(hard, '2026-02-01T00:00:01+00:00'),
      old_record: null,
    });
    const gone = await sendDatabase({
      type: 'DELETE',
      table: 'users',
      schema: 'auth',
      record: null,
      old_record: rawUserRow(hard, '2026-02-01T00:00:01+00:00'),
    });
    expect(gone.body.outcome).toBe('deleted');
    expect((await mirrored(hard)).deleted_at).not.toBeNull();

    const soft = randomUUID();
    const softDelete = await sendDatabase({
      type: 'UPDATE',
      table: 'users',
      schema: 'auth',
      record: rawUserRow(soft, '2026-02-01T00:00:02+00:00', { deleted_at: '2026-02-01T00:00:02+00:00', email: 'obfuscated' }),
      old_record: rawUserRow(soft, '2026-02-01T00:00:01+00:00'),
    });
    expect(softDelete.body.outcome).toBe('deleted');
    expect(await mirrored(soft)).toMatchObject({ email: null });
  });

  it('answers a repeat of the same body once applied with duplicate', async () => {
    const payload = {
      type: 'INSERT',
      table: 'users',
      schema: 'auth',
      record: rawUserRow(randomUUID(), '2026-02-01T00:00:01+00:00'),
      old_record: null,
    };
    expect((await sendDatabase(payload)).body.status).toBe('applied');
    expect((await sendDatabase(payload)).body.status).toBe('duplicate');
  });

  it('answers 202 for other tables and 401 without the right bearer token', async () => {
    expect((await sendDatabase({ type: 'INSERT', table: 'orders', schema: 'public', record: { id: 1 }, old_record: null })).status).toBe(
      202,
    );
    const wrong = await sendDatabase(
      { type: 'INSERT', table: 'users', schema: 'auth', record: rawUserRow(randomUUID(), version(1)), old_record: null },
      'wrong-token-0123456789',
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_signature');
    const none = await stack.request('POST', '/webhooks/supabase', { body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
  });
});

describe('deletion through a delivery', () => {
  it("refuses the deleted user's still-valid token on every endpoint at once", async () => {
    const { id, accessToken } = await stack.signedInUser();
    expect((await stack.request('POST', '/auth/users/sync', { token: accessToken })).status).toBe(200);
    await sendSigned({ type: 'user.deleted', user: { id } });
    for (const [method, path] of [
      ['GET', '/users/me'],
      ['POST', '/auth/users/sync'],
    ] as const) {
      const answer = await stack.request(method, path, { token: accessToken });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('user_deleted');
    }
  });

  it('ends deleted when the delete races 50 concurrent syncs', async () => {
    const { id, accessToken } = await stack.signedInUser();
    const syncs = Array.from({ length: 50 }, () => stack.request('POST', '/auth/users/sync', { token: accessToken }));
    const deletion = sendSigned({ type: 'user.deleted', user: { id } });
    const answers = await Promise.all([...syncs, deletion]);
    expect(answers.every((answer) => answer.status === 200 || answer.body.code === 'user_deleted')).toBe(true);
    expect(await mirrored(id)).toMatchObject({ email: null });
    expect((await mirrored(id)).deleted_at).not.toBeNull();
    const profiles = await stack.db.query('SELECT 1 FROM profiles WHERE user_id = $1', [id]);
    expect(profiles.rowCount).toBe(0);
    expect((await stack.request('POST', '/auth/users/sync', { token: accessToken })).body.code).toBe('user_deleted');
  });
});

describe('the local Supabase Auth stand-in as the sender', () => {
  it('removes a user deleted through the admin API from the mirror', async () => {
    stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'signed', secret });
    try {
      const { id, accessToken } = await stack.signedInUser();
      await stack.request('POST', '/auth/users/sync', { token: accessToken });
      await stack.admin.auth.admin.deleteUser(id);
      await stack.auth.deliveries.idle();
      expect((await mirrored(id)).deleted_at).not.toBeNull();
      expect((await stack.request('GET', '/users/me', { token: accessToken })).body.code).toBe('user_deleted');
    } finally {
      stack.auth.deliveries.configure(null);
    }
  });

  it("converges to Supabase's latest state when deliveries are duplicated and reordered", async () => {
    stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'database', dbToken });
    stack.auth.deliveries.chaos({ duplicate: 0.5, reorder: true, delayMs: [0, 30] });
    try {
      const { data } = await stack.admin.auth.admin.createUser({ email: `chaos-${randomUUID()}@example.com`, email_confirm: true });
      const id = data.user!.id;
      for (let step = 1; step <= 8; step++) {
        await stack.admin.auth.admin.updateUserById(id, { user_metadata: { step } });
      }
      await stack.auth.deliveries.idle();
      expect((await mirrored(id)).user_metadata).toMatchObject({ step: 8 });
    } finally {
      stack.auth.deliveries.chaos({});
      stack.auth.deliveries.configure(null);
    }
  });
});
