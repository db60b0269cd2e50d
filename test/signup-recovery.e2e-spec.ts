// Signups whose request could not finish: Supabase timed out although it created the user, a
// race answered 500, an outage left a backlog. Recovery rolls forward what exists, deletes only
// what cannot be completed and was never used, and drains a backlog in seconds.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SignupRecoveryService } from '../src/accounts/signup/signup-recovery.service.js';
import { SignupSagaService } from '../src/accounts/signup/signup-saga.service.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

/** Recovery takes sagas due within this, so a test need not wait for their request's lease to end. */
const LOOK_AHEAD_MS = 10 * 60_000;
let stack: TestStack;
const password = 'Correct-Horse-42';

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      SUPABASE_ADMIN_TIMEOUT_MS: '400',
      SIGNUP_EMAIL_CONFIRMATION: 'false',
      RATE_LIMIT_AUTH_PER_IP: '0',
      RATE_LIMIT_AUTH_PER_ACCOUNT: '0',
    },
  });
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => stack.auth.faults.clear());

const email = () => `recovery-${randomUUID()}@example.com`;

async function sagaOf(userEmail: string) {
  // An ended saga no longer holds the email: found through its mirrored user then.
  const { rows } = await stack.db.query(
    `SELECT id, state, user_id, email FROM signup_sagas WHERE email = $1 OR user_id IN (SELECT id FROM users WHERE email = $1)`,
    [userEmail],
  );
  return rows[0];
}

async function sagaById(id: string) {
  return (await stack.db.query('SELECT state, email, phone, display_name, error_code FROM signup_sagas WHERE id = $1', [id])).rows[0];
}

describe('a signup whose Supabase call timed out although Supabase created the user', () => {
  it('is completed by the request itself when the user can be read back (201)', async () => {
    // Supabase creates the user, but its answer comes after the request's timeout; the read-back finds it.
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 200, lateAnswerMs: 600, times: 1 });
    const address = email();
    const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password } });
    expect(answer.status).toBe(201);
    await eventually(
      () => stack.auth.admin.getUser(answer.body.user.id),
      (user) => user !== null,
    );
    expect((await sagaOf(address)).state).toBe('completed');
  });

  it('is rolled forward by recovery when the request gave up, keeping what the user did meanwhile (never deleted)', async () => {
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 200, lateAnswerMs: 700, times: 1 });
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 0, times: 2 });
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\/[0-9a-f-]{36}$/, status: 0, times: 3 });
    const address = email();
    const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password, displayName: 'Patient' } });
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('supabase_unavailable');
    stack.auth.faults.clear();

    // Supabase did create the user: it signs in, syncs and onboards before recovery runs.
    const saga = await sagaOf(address);
    await eventually(
      () => stack.auth.admin.getUser(saga.user_id),
      (user) => user !== null,
    );
    const signIn = await stack.anon().auth.signInWithPassword({ email: address, password });
    expect(signIn.error).toBeNull();
    const token = signIn.data.session!.access_token;
    expect((await stack.request('POST', '/auth/users/sync', { token })).status).toBe(200);
    const answers = { industry: 'Retail', jobTitle: 'Owner', emailConsent: true };
    expect((await stack.request('POST', '/profiles/me/onboarding', { token, body: answers })).status).toBe(200);

    // The request asked for a recovery run a few seconds on: the job queue runs it.
    await eventually(
      () => sagaById(saga.id),
      (row) => row.state === 'completed',
      30_000,
    );
    expect(stack.auth.admin.getUser(saga.user_id)).not.toBeNull();
    const me = await stack.request('GET', '/users/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.profile).toMatchObject({ onboardingCompleted: true, industry: 'Retail' });
    expect(await sagaById(saga.id)).toMatchObject({ email: null, phone: null, display_name: null });
  });
});

describe('fences around the saga', () => {
  it('a refusal after a lost answer is checked against a read-back: the duplicate was our own create (201, not 409)', async () => {
    // The first create is done but answered too late; its read-back fails; the second create is
    // then refused as a duplicate of the first.
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 200, lateAnswerMs: 700, times: 1 });
    stack.auth.faults.add({ method: 'GET', path: /\/admin\/users\/[0-9a-f-]{36}$/, status: 0, times: 1 });
    const address = email();
    const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password } });
    expect(answer.status).toBe(201);
    expect((await sagaOf(address)).state).toBe('completed');
    expect((await stack.db.query('SELECT 1 FROM users WHERE email = $1', [address])).rowCount).toBe(1);
  });

  it('an ended saga never moves again: a late compensation leaves a completed signup (and its user) alone', async () => {
    const address = email();
    const answer = await stack.request('POST', '/auth/signup', { body: { email: address, password } });
    expect(answer.status).toBe(201);
    const saga = await sagaOf(address);
    expect(await stack.app.get(SignupSagaService).compensate({ id: saga.id, user_id: saga.user_id }, 'late_worker', 1_000)).toBe(true);
    expect((await sagaById(saga.id)).state).toBe('completed');
    expect(stack.auth.admin.getUser(saga.user_id)).not.toBeNull();
  });

  it('a replay of the Idempotency-Key after the account was deleted is 410 and gives nothing personal back', async () => {
    const address = email();
    const key = `replay-${randomUUID()}`;
    const first = await stack.request('POST', '/auth/signup', {
      body: { email: address, password, phone: '+1 415 555 0177', displayName: 'Gone' },
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    expect((await stack.request('DELETE', '/users/me', { token: first.body.session.accessToken, body: {} })).status).toBe(204);

    const replay = await stack.request('POST', '/auth/signup', { body: { email: address, password }, headers: { 'idempotency-key': key } });
    expect([replay.status, replay.body.code]).toEqual([410, 'user_deleted']);
    expect(JSON.stringify(replay.body)).not.toContain('Gone');
    const { rows } = await stack.db.query('SELECT response, email, phone, display_name FROM signup_sagas WHERE idempotency_key = $1', [
      key,
    ]);
    expect(rows).toEqual([{ response: { userId: first.body.user.id }, email: null, phone: null, display_name: null }]);
  });
});

describe('a saga whose user exists but cannot be completed here (its phone is held by another user)', () => {
  async function stuckSaga(phone: string) {
    const steps = stack.app.get(SignupSagaService);
    const saga = await steps.begin({ email: email(), password, phone, displayName: null }, null);
    if (!saga) throw new Error('expected a saga');
    const user = await steps.createRemote(saga, password, true);
    // Another live user holds the number here (Supabase's copy changed since).
    await stack.db.query(`INSERT INTO users (id, phone, created_at, updated_at, synced_at) VALUES ($1, $2, now(), now(), now())`, [
      randomUUID(),
      phone,
    ]);
    return { saga, user };
  }

  it('is compensated (deleted in Supabase) when its user never signed in', async () => {
    const { saga } = await stuckSaga('+447700900311');
    await stack.app.get(SignupRecoveryService).recoverDueSagas(LOOK_AHEAD_MS);
    expect(await sagaById(saga.id)).toMatchObject({ state: 'compensated', error_code: 'phone_exists' });
    expect(stack.auth.admin.getUser(saga.user_id)).toBeNull();
  });

  it('is kept (saga failed, user untouched) when its user has signed in', async () => {
    const { saga, user } = await stuckSaga('+447700900312');
    expect((await stack.anon().auth.signInWithPassword({ email: user.email!, password })).error).toBeNull();
    await stack.app.get(SignupRecoveryService).recoverDueSagas(LOOK_AHEAD_MS);
    expect(await sagaById(saga.id)).toMatchObject({ state: 'failed', error_code: 'phone_exists', email: null });
    expect(stack.auth.admin.getUser(saga.user_id)).not.toBeNull();
  });
});

describe('a backlog left by a Supabase outage', () => {
  async function signups(addresses: string[]) {
    const answers = [];
    for (let start = 0; start < addresses.length; start += 50) {
      const batch = addresses.slice(start, start + 50);
      answers.push(
        ...(await Promise.all(batch.map((address) => stack.request('POST', '/auth/signup', { body: { email: address, password } })))),
      );
    }
    return answers;
  }

  it('drains once Supabase is back, without waiting a minute per page: 300 sagas end, half rolled forward, none keeps personal data', async () => {
    // The outage: creates are answered only after the request has timed out, or not made at all; no read-back works.
    const readBack = { method: 'GET', path: /\/admin\/users\/[0-9a-f-]{36}$/, status: 0 };
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 200, lateAnswerMs: 500 });
    stack.auth.faults.add(readBack);
    const landed = Array.from({ length: 150 }, email);
    const landedAnswers = await signups(landed);
    stack.auth.faults.clear();
    stack.auth.faults.add({ method: 'POST', path: /\/admin\/users$/, status: 0 });
    stack.auth.faults.add(readBack);
    const lost = Array.from({ length: 150 }, email);
    const lostAnswers = await signups(lost);
    expect([...landedAnswers, ...lostAnswers].filter((answer) => answer.status !== 503)).toEqual([]);
    const { rows } = await stack.db.query(`SELECT id FROM signup_sagas WHERE email = ANY($1)`, [[...landed, ...lost]]);
    const ids = rows.map((row) => row.id);
    expect(ids).toHaveLength(300);

    stack.auth.faults.clear();
    const states = await eventually(
      async () =>
        (await stack.db.query(`SELECT state, count(*)::int AS n FROM signup_sagas WHERE id = ANY($1) GROUP BY state ORDER BY state`, [ids]))
          .rows,
      (rows) => rows.every((row) => row.state === 'completed' || row.state === 'failed'),
      75_000,
    );
    expect(states).toEqual([
      { state: 'completed', n: 150 },
      { state: 'failed', n: 150 },
    ]);
    const personal = await stack.db.query(
      `SELECT count(*)::int AS n FROM signup_sagas WHERE id = ANY($1) AND (email IS NOT NULL OR phone IS NOT NULL)`,
      [ids],
    );
    expect(personal.rows[0].n).toBe(0);
    for (const address of landed.slice(0, 5))
      expect((await stack.db.query('SELECT 1 FROM users WHERE email = $1', [address])).rowCount).toBe(1);
  }, 150_000);
});
