import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SignupRecoveryService } from '../src/accounts/signup/signup-recovery.service.js';
import { SignupSagaService } from '../src/accounts/signup/signup-saga.service.js';
import { until } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

/** Recovery takes sagas due within this, so a test need not wait for their request's lease to end. */
const LOOK_AHEAD_MS = 10 * 60_000;
let stack: TestStack;
const password = 'Correct-Horse-42';

beforeAll(async () => {
  stack = await startTestStack({
    env: { SIGNUP_EMAIL_CONFIRMATION: 'false', RATE_LIMIT_AUTH_PER_IP: '0', RATE_LIMIT_AUTH_PER_ACCOUNT: '0' },
  });
});

afterAll(async () => {
  await stack?.close();
});

const email = () => `signup-${randomUUID()}@example.com`;

async function supabaseUsersWithEmail(address: string): Promise<number> {
  let count = 0;
  for (let page = 1; ; page++) {
    const { data } = await stack.admin.auth.admin.listUsers({ page, perPage: 500 });
    count += data.users.filter((user) => user.email === address).length;
    if (data.users.length < 500) return count;
  }
}

describe('POST /auth/signup', () => {
  it('creates the Supabase user, the mirror row and the profile, and returns a session', async () => {
    const address = email();
    const answer = await stack.request('POST', '/auth/signup', {
      body: { email: address.toUpperCase(), password, displayName: 'Ada Lovelace', phone: '+44 7911 123456' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.user).toMatchObject({ email: address, phone: '+447911123456' });
    expect(answer.body.profile.displayName).toBe('Ada Lovelace');
    expect(typeof answer.body.session.accessToken).toBe('string');

    const { data } = await stack.admin.auth.admin.getUserById(answer.body.user.id);
    expect(data.user?.email).toBe(address);
    const me = await stack.request('GET', '/users/me', { token: answer.body.session.accessToken });
    expect(me.status).toBe(200);
    const saga = (await stack.db.query('SELECT state, email, phone FROM signup_sagas WHERE user_id = $1', [answer.body.user.id])).rows[0];
    expect(saga).toEqual({ state: 'completed', email: null, phone: null });
    const audit = await stack.db.query("SELECT details FROM audit_events WHERE subject_id = $1 AND type = 'user.signed_up'", [
      answer.body.user.id,
    ]);
    expect(audit.rows).toEqual([{ details: {} }]);
  });

  it.each([
    [{ email: 'not-an-email', password }, 'email'],
    [{ email: email() }, 'password'],
    [{ email: email(), password, phone: 'call me maybe' }, 'phone'],
    [{ email: email(), password, admin: true }, 'admin'],
  ])('refuses bad input with 400 and the field (%j)', async (body, field) => {
    const answer = await stack.request('POST', '/auth/signup', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('validation_failed');
    expect(answer.body.details.map((problem: { field: string }) => problem.field)).toContain(field);
  });

  it('refuses a weak password with 422 and the reasons, before anything is written', async () => {
    const address = email();
    const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password: 'short' } });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'weak_password', details: { reasons: ['length', 'characters'] } });
    expect(await supabaseUsersWithEmail(address)).toBe(0);
  });

  it('answers 409 email_exists for a known email, whether mirrored or only in Supabase', async () => {
    const mirrored = email();
    expect((await stack.request('POST', '/auth/signup', { body: { email: mirrored, password } })).status).toBe(201);
    const again = await stack.request('POST', '/auth/signup', { body: { email: mirrored, password } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('email_exists');

    const onlyRemote = email();
    await stack.admin.auth.admin.createUser({ email: onlyRemote, password, email_confirm: true });
    const remote = await stack.request('POST', '/auth/signup', { body: { email: onlyRemote, password } });
    expect(remote.status).toBe(409);
    expect(remote.body.code).toBe('email_exists');
  });

  it('answers 409 phone_exists for a number a live user has', async () => {
    await stack.request('POST', '/auth/signup', { body: { email: email(), password, phone: '+1 415 555 0199' } });
    const answer = await stack.request('POST', '/auth/signup', { body: { email: email(), password, phone: '0014155550199' } });
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('phone_exists');
  });

  it('gives one number to one of 10 concurrent signups and 409 phone_exists to the rest', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        stack.request('POST', '/auth/signup', { body: { email: email(), password, phone: '+1 415 555 0142' } }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 201).map((answer) => answer.body.code)).toEqual(Array(9).fill('phone_exists'));
    const holders = await stack.db.query("SELECT count(*)::int AS n FROM users WHERE phone = '+14155550142' AND deleted_at IS NULL");
    expect(holders.rows[0].n).toBe(1);
  });

  it('returns the first result to a retry with the same Idempotency-Key', async () => {
    const address = email();
    const key = `key-${randomUUID()}`;
    const first = await stack.request('POST', '/auth/signup', { body: { email: address, password }, headers: { 'idempotency-key': key } });
    const retry = await stack.request('POST', '/auth/signup', { body: { email: address, password }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.user.id).toBe(first.body.user.id);
    expect(await supabaseUsersWithEmail(address)).toBe(1);
    const reused = await stack.request('POST', '/auth/signup', { body: { email: email(), password }, headers: { 'idempotency-key': key } });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it('makes one user and 19 clean 409s from 20 concurrent signups with one email', async () => {
    const address = email();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => stack.request('POST', '/auth/signup', { body: { email: address, password } })),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(refused).toHaveLength(19);
    expect(refused.every((answer) => answer.status === 409 && answer.body.code === 'email_exists')).toBe(true);
    expect(await supabaseUsersWithEmail(address)).toBe(1);
    expect((await stack.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [address])).rows[0].n).toBe(1);
  });

  it('deletes the Supabase user when the local write fails', async () => {
    const address = email();
    await stack.db.query(`ALTER TABLE profiles ADD CONSTRAINT test_refuse_name CHECK (display_name IS DISTINCT FROM 'Refuse Me')`);
    try {
      const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password, displayName: 'Refuse Me' } });
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe('signup_failed');
    } finally {
      await stack.db.query('ALTER TABLE profiles DROP CONSTRAINT test_refuse_name');
    }
    expect(await supabaseUsersWithEmail(address)).toBe(0);
    expect((await stack.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [address])).rows[0].n).toBe(0);
    const saga = (
      await stack.db.query("SELECT state, user_id FROM signup_sagas WHERE state = 'compensated' ORDER BY created_at DESC LIMIT 1")
    ).rows[0];
    const audit = await stack.db.query("SELECT 1 FROM audit_events WHERE subject_id = $1 AND type = 'signup.compensated'", [saga.user_id]);
    expect(audit.rowCount).toBe(1);
  });

  it('has a crash between the remote and the local step completed by the recovery job (rolled forward)', async () => {
    const steps = stack.app.get(SignupSagaService);
    const address = email();
    const saga = await steps.begin({ email: address, password, phone: null, displayName: 'Crashed' }, null);
    if (!saga) throw new Error('expected a new saga');
    await steps.createRemote(saga, password, true); // …and the process "dies" here.
    expect(await supabaseUsersWithEmail(address)).toBe(1);

    expect(await stack.app.get(SignupRecoveryService).recoverDueSagas(LOOK_AHEAD_MS)).toBeGreaterThanOrEqual(1);
    expect(await supabaseUsersWithEmail(address)).toBe(1);
    const row = (await stack.db.query('SELECT state, email FROM signup_sagas WHERE id = $1', [saga.id])).rows[0];
    expect(row).toEqual({ state: 'completed', email: null });
    const profile = (await stack.db.query('SELECT display_name FROM profiles WHERE user_id = $1', [saga.user_id])).rows[0];
    expect(profile).toEqual({ display_name: 'Crashed' });
  });

  it('records a compensation that failed and retries it until Supabase has no such user', async () => {
    const address = email();
    await stack.db.query(`ALTER TABLE profiles ADD CONSTRAINT test_refuse_name2 CHECK (display_name IS DISTINCT FROM 'Refuse Me Too')`);
    stack.auth.faults.add({ method: 'DELETE', path: /\/admin\/users\//, status: 503 });
    try {
      const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password, displayName: 'Refuse Me Too' } });
      expect(answer.status).toBe(503);
    } finally {
      await stack.db.query('ALTER TABLE profiles DROP CONSTRAINT test_refuse_name2');
    }
    expect(await supabaseUsersWithEmail(address)).toBe(1);
    const stuck = (await stack.db.query("SELECT id FROM signup_sagas WHERE state = 'compensating'")).rows;
    expect(stuck.length).toBeGreaterThanOrEqual(1);

    const recovery = stack.app.get(SignupRecoveryService);
    expect(await recovery.recoverDueSagas(LOOK_AHEAD_MS)).toBe(0); // Supabase still refuses: nothing ends
    stack.auth.faults.clear();
    expect(await recovery.recoverDueSagas(LOOK_AHEAD_MS)).toBeGreaterThanOrEqual(1);
    expect(await supabaseUsersWithEmail(address)).toBe(0);
  });
});

describe('POST /auth/login, /auth/refresh, /auth/logout', () => {
  let address: string;

  beforeAll(async () => {
    address = email();
    await stack.request('POST', '/auth/signup', { body: { email: address, password, displayName: 'Grace' } });
  });

  it('signs in, mirrors the user and answers session, user and profile', async () => {
    const answer = await stack.request('POST', '/auth/login', { body: { email: address, password } });
    expect(answer.status).toBe(200);
    expect(answer.body.user.email).toBe(address);
    expect(answer.body.user.lastSignInAt).not.toBeNull();
    expect(answer.body.profile.displayName).toBe('Grace');
    expect((await stack.request('GET', '/users/me', { token: answer.body.session.accessToken })).status).toBe(200);
  });

  it('answers 401 invalid_credentials for a wrong password and audits it without the email', async () => {
    const answer = await stack.request('POST', '/auth/login', { body: { email: address, password: 'Wrong-Horse-42' } });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('invalid_credentials');
    const audit = await stack.db.query("SELECT details FROM audit_events WHERE type = 'login.failed' ORDER BY id DESC LIMIT 1");
    expect(audit.rows[0].details).toEqual({ reason: 'invalid_credentials' });
    expect(JSON.stringify(audit.rows)).not.toContain(address);
    const unknown = await stack.request('POST', '/auth/login', { body: { email: email(), password } });
    expect(unknown.status).toBe(401);
  });

  it('refuses bad input with 400', async () => {
    const answer = await stack.request('POST', '/auth/login', { body: { email: address } });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('validation_failed');
  });

  it('refreshes a session, answers a retried refresh with the same new token, and refuses an unknown one', async () => {
    const login = await stack.request('POST', '/auth/login', { body: { email: address, password } });
    const refreshed = await stack.request('POST', '/auth/refresh', { body: { refreshToken: login.body.session.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.session.refreshToken).not.toBe(login.body.session.refreshToken);
    // A client that lost the answer retries with the token it still has: Supabase answers the active one.
    const retried = await stack.request('POST', '/auth/refresh', { body: { refreshToken: login.body.session.refreshToken } });
    expect(retried.status).toBe(200);
    expect(retried.body.session.refreshToken).toBe(refreshed.body.session.refreshToken);
    expect((await stack.request('POST', '/auth/refresh', { body: { refreshToken: 'nonsense-token-123' } })).status).toBe(401);
    expect((await stack.request('POST', '/auth/refresh', { body: {} })).status).toBe(400);
  });

  it('logs out (204): the refresh token stops working and the access token is refused at once; without a token it is 401', async () => {
    const login = await stack.request('POST', '/auth/login', { body: { email: address, password } });
    const out = await stack.request('POST', '/auth/logout', { token: login.body.session.accessToken, body: { scope: 'global' } });
    expect(out.status).toBe(204);
    expect((await stack.request('POST', '/auth/refresh', { body: { refreshToken: login.body.session.refreshToken } })).status).toBe(401);
    const after = await stack.request('GET', '/users/me', { token: login.body.session.accessToken });
    expect([after.status, after.body.code]).toEqual([401, 'session_revoked']);
    expect((await stack.request('POST', '/auth/logout', { body: {} })).status).toBe(401);
    const next = await stack.request('POST', '/auth/login', { body: { email: address, password } });
    expect(
      (await stack.request('POST', '/auth/logout', { token: next.body.session.accessToken, body: { scope: 'everyone' } })).status,
    ).toBe(400);
  });
});

describe('DELETE /users/me', () => {
  async function newAccount() {
    const address = email();
    const signup = await stack.request('POST', '/auth/signup', { body: { email: address, password } });
    return { id: signup.body.user.id as string, token: signup.body.session.accessToken as string };
  }

  it('needs the right password, or a recent sign-in', async () => {
    const { id, token } = await newAccount();
    const wrong = await stack.request('DELETE', '/users/me', { token, body: { password: 'Wrong-Horse-42' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const signedInLongAgo = stack.auth.signAccessToken({
      sub: id,
      amr: [{ method: 'password', timestamp: Math.floor(Date.now() / 1000) - 3600 }],
    });
    const stale = await stack.request('DELETE', '/users/me', { token: signedInLongAgo, body: {} });
    expect(stale.status).toBe(403);
    expect(stale.body.code).toBe('reauthentication_required');
    expect((await stack.request('DELETE', '/users/me', { token, body: { password: '' } })).status).toBe(400);
    expect((await stack.request('DELETE', '/users/me', { body: { password } })).status).toBe(401);
    expect((await stack.request('GET', '/users/me', { token })).status).toBe(200);
  });

  it('deletes the Supabase user and everything local, and the token stops working at once', async () => {
    const { id, token } = await newAccount();
    const answer = await stack.request('DELETE', '/users/me', { token, body: { password } });
    expect(answer.status).toBe(204);
    const me = await stack.request('GET', '/users/me', { token });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('user_deleted');
    const { error } = await stack.admin.auth.admin.getUserById(id);
    expect(error?.status).toBe(404);
    const row = (await stack.db.query('SELECT email, deleted_at FROM users WHERE id = $1', [id])).rows[0];
    expect(row.email).toBeNull();
    expect(row.deleted_at).not.toBeNull();
    expect((await stack.request('POST', '/auth/login', { body: { email: 'x' + id, password } })).status).toBe(400);
  });

  it('retries the Supabase delete from the queue when Supabase fails at first', async () => {
    const { id, token } = await newAccount();
    stack.auth.faults.add({ method: 'DELETE', path: /\/admin\/users\//, status: 503, times: 2 });
    try {
      expect((await stack.request('DELETE', '/users/me', { token, body: { password } })).status).toBe(204);
      expect((await stack.request('GET', '/users/me', { token })).body.code).toBe('user_deleted');
      expect(await until(async () => (await stack.admin.auth.admin.getUserById(id)).error?.status === 404)).toBe(true);
    } finally {
      stack.auth.faults.clear();
    }
  });
});
