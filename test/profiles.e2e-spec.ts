import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { UsersService } from '../src/users/users.service.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => stack.auth.faults.clear());

const PASSWORD = 'correct horse battery';
const ANSWERS = { industry: 'Software', jobTitle: 'Engineer', emailConsent: true };

/** A signed-in user, mirrored by a sync (so that they have a profile). */
async function syncedUser(data?: Record<string, unknown>) {
  const user = await stack.signedInUser({ password: PASSWORD, data });
  const sync = await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
  expect(sync.status).toBe(200);
  return user;
}

/** The user's `user_metadata` as Supabase (the stand-in) holds it. */
function supabaseMetadata(id: string): Record<string, unknown> {
  return stack.auth.admin.getUser(id)?.user_metadata ?? {};
}

async function pushJob(id: string): Promise<{ attempts: number; last_error: string | null } | null> {
  const { rows } = await stack.db.query('SELECT attempts, last_error FROM graphile_worker._private_jobs WHERE key = $1', [
    `profile-metadata:${id}`,
  ]);
  return rows[0] ?? null;
}

async function profileRow(id: string) {
  const { rows } = await stack.db.query('SELECT * FROM profiles WHERE user_id = $1', [id]);
  return rows[0];
}

async function auditEvents(id: string, type: string) {
  const { rows } = await stack.db.query(
    'SELECT user_id, subject_id, details FROM audit_events WHERE subject_id = $1 AND type = $2 ORDER BY id',
    [id, type],
  );
  return rows;
}

function claimsOf(accessToken: string): Record<string, any> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
}

describe('PATCH /profiles/me', () => {
  it('changes only the given fields (trimmed), audits the field names and pushes display_name', async () => {
    const user = await syncedUser({ first_name: 'Ada', last_name: 'Lovelace', theme: 'dark' });
    const other = await syncedUser({ first_name: 'Grace' });

    const answer = await stack.request('PATCH', '/profiles/me', {
      token: user.accessToken,
      body: { displayName: '  Countess  ', jobTitle: 'Analyst', emailConsent: true },
    });

    expect(answer.status).toBe(200);
    expect(answer.body.profile).toEqual({
      displayName: 'Countess',
      firstName: 'Ada',
      lastName: 'Lovelace',
      industry: null,
      jobTitle: 'Analyst',
      emailConsent: true,
      onboardingCompleted: false,
      onboardedAt: null,
      updatedAt: expect.any(String),
    });
    const me = await stack.request('GET', '/users/me', { token: user.accessToken });
    expect(me.body.profile).toEqual(answer.body.profile);
    expect((await stack.request('GET', '/users/me', { token: other.accessToken })).body.profile).toMatchObject({
      displayName: 'Grace',
      jobTitle: null,
      emailConsent: false,
    });

    expect(await auditEvents(user.id, 'profile.updated')).toEqual([
      { user_id: user.id, subject_id: user.id, details: { fields: ['displayName', 'jobTitle', 'emailConsent'] } },
    ]);
    const pushed = await eventually(
      () => supabaseMetadata(user.id),
      (metadata) => metadata.display_name === 'Countess',
    );
    expect(pushed).toMatchObject({
      display_name: 'Countess',
      job_title: 'Analyst',
      email_consent: true,
      onboarding_completed: false,
      theme: 'dark',
      first_name: 'Ada',
    });
  });

  it('does not queue a push when only names that are not in user_metadata change', async () => {
    const user = await syncedUser();
    const answer = await stack.request('PATCH', '/profiles/me', { token: user.accessToken, body: { firstName: 'Bo', lastName: 'Li' } });
    expect(answer.status).toBe(200);
    expect(answer.body.profile).toMatchObject({ firstName: 'Bo', lastName: 'Li' });
    expect(await pushJob(user.id)).toBeNull();
    expect(supabaseMetadata(user.id)).not.toHaveProperty('first_name');
  });

  it.each([
    ['an empty body', {}, 'body'],
    ['no body at all', undefined, 'body'],
    ['a number for a name', { displayName: 12 }, 'displayName'],
    ['a string for emailConsent', { emailConsent: 'yes' }, 'emailConsent'],
    ['null', { jobTitle: null }, 'jobTitle'],
    ['only spaces', { industry: '   ' }, 'industry'],
    ['101 characters', { lastName: 'x'.repeat(101) }, 'lastName'],
    ['an unknown field', { displayName: 'Ok', role: 'admin' }, 'role'],
    ['a NUL character (Postgres cannot store it)', { displayName: 'a\u0000b' }, 'displayName'],
    ['an unpaired surrogate (Postgres cannot store it)', { jobTitle: 'x\ud800' }, 'jobTitle'],
  ])('answers 400 validation_failed for %s, and changes nothing', async (_case, body, field) => {
    const user = await syncedUser({ full_name: 'Kept Name' });
    const answer = await stack.request('PATCH', '/profiles/me', { token: user.accessToken, body });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, code: 'validation_failed', requestId: expect.any(String) });
    expect(answer.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, problems: expect.any(Array) })]));
    expect(await profileRow(user.id)).toMatchObject({ display_name: 'Kept Name', industry: null, job_title: null, email_consent: false });
  });

  it('accepts 100 characters', async () => {
    const user = await syncedUser();
    const answer = await stack.request('PATCH', '/profiles/me', { token: user.accessToken, body: { industry: 'y'.repeat(100) } });
    expect(answer.status).toBe(200);
    expect(answer.body.profile.industry).toBe('y'.repeat(100));
  });
});

describe('POST /profiles/me/onboarding', () => {
  it('records the answers, sets onboardingCompleted and onboardedAt, and audits without personal data', async () => {
    const user = await syncedUser({ full_name: 'Onboarded Person' });
    const answer = await stack.request('POST', '/profiles/me/onboarding', {
      token: user.accessToken,
      body: { industry: ' Healthcare ', jobTitle: 'Nurse', emailConsent: false },
    });

    expect(answer.status).toBe(200);
    expect(answer.body.profile).toMatchObject({
      displayName: 'Onboarded Person',
      industry: 'Healthcare',
      jobTitle: 'Nurse',
      emailConsent: false,
      onboardingCompleted: true,
    });
    expect(Date.now() - Date.parse(answer.body.profile.onboardedAt)).toBeLessThan(60_000);
    expect(await profileRow(user.id)).toMatchObject({ onboarding_completed: true, industry: 'Healthcare', job_title: 'Nurse' });

    const events = await auditEvents(user.id, 'profile.onboarded');
    expect(events).toEqual([{ user_id: user.id, subject_id: user.id, details: { firstTime: true } }]);
    const recorded = JSON.stringify(events);
    for (const personal of ['Healthcare', 'Nurse', 'Onboarded Person', user.email]) expect(recorded).not.toContain(personal);
    await eventually(
      () => supabaseMetadata(user.id),
      (metadata) => metadata.onboarding_completed === true,
    );
  });

  it('is idempotent: onboarding again answers 200, takes the new answers and keeps the first onboardedAt', async () => {
    const user = await syncedUser();
    const first = await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: ANSWERS });
    const second = await stack.request('POST', '/profiles/me/onboarding', {
      token: user.accessToken,
      body: { ...ANSWERS, jobTitle: 'Lead', emailConsent: false },
    });

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.profile).toMatchObject({
      jobTitle: 'Lead',
      emailConsent: false,
      onboardingCompleted: true,
      onboardedAt: first.body.profile.onboardedAt,
    });
    expect(Date.parse(second.body.profile.updatedAt)).toBeGreaterThan(Date.parse(first.body.profile.updatedAt));
    expect((await auditEvents(user.id, 'profile.onboarded')).map((event) => event.details)).toEqual([
      { firstTime: true },
      { firstTime: false },
    ]);
    const pushed = await eventually(
      () => supabaseMetadata(user.id),
      (metadata) => metadata.job_title === 'Lead',
    );
    expect(pushed).toMatchObject({ onboarding_completed: true, email_consent: false });
  });

  it('writes nothing when a write in the middle of the transaction fails (no profile change, no push queued)', async () => {
    const user = await syncedUser();
    await stack.db.query(`
      CREATE FUNCTION refuse_onboarding_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$;
      CREATE TRIGGER refuse_onboarding_audit BEFORE INSERT ON audit_events FOR EACH ROW
      WHEN (NEW.subject_id = '${user.id}' AND NEW.type = 'profile.onboarded') EXECUTE FUNCTION refuse_onboarding_audit();`);
    try {
      const answer = await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: ANSWERS });
      expect(answer.status).toBe(500);
      expect(answer.body.code).toBeDefined();
      expect(JSON.stringify(answer.body)).not.toContain('audit refused');
    } finally {
      await stack.db.query('DROP TRIGGER refuse_onboarding_audit ON audit_events; DROP FUNCTION refuse_onboarding_audit();');
    }
    expect(await profileRow(user.id)).toMatchObject({ onboarding_completed: false, onboarded_at: null, industry: null });
    expect(await pushJob(user.id)).toBeNull();

    const retried = await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: ANSWERS });
    expect(retried.status).toBe(200);
    expect(await auditEvents(user.id, 'profile.onboarded')).toHaveLength(1);
  });

  it.each([
    ['an empty body', {}, 'industry'],
    ['a missing jobTitle', { industry: 'Software', emailConsent: true }, 'jobTitle'],
    ['a missing emailConsent', { industry: 'Software', jobTitle: 'Engineer' }, 'emailConsent'],
    ['a number for industry', { ...ANSWERS, industry: 7 }, 'industry'],
    ['"true" as a string', { ...ANSWERS, emailConsent: 'true' }, 'emailConsent'],
    ['an empty jobTitle', { ...ANSWERS, jobTitle: '' }, 'jobTitle'],
    ['a jobTitle too long', { ...ANSWERS, jobTitle: 'j'.repeat(101) }, 'jobTitle'],
    ['an unknown field', { ...ANSWERS, onboardingCompleted: false }, 'onboardingCompleted'],
  ])('answers 400 validation_failed for %s, and changes nothing', async (_case, body, field) => {
    const user = await syncedUser();
    const answer = await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('validation_failed');
    expect(answer.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await profileRow(user.id)).toMatchObject({ onboarding_completed: false, onboarded_at: null, industry: null });
    expect(await auditEvents(user.id, 'profile.onboarded')).toEqual([]);
  });
});

describe.each([
  ['PATCH', '/profiles/me', { displayName: 'Nobody' }],
  ['POST', '/profiles/me/onboarding', ANSWERS],
])('%s %s: access', (method, path, body) => {
  it('answers 401 invalid_token without a token or with a bad one', async () => {
    const user = await syncedUser();
    const none = await stack.request(method, path, { body });
    const forged = await stack.request(method, path, { body, token: `${user.accessToken.slice(0, -4)}AAAA` });
    const garbage = await stack.request(method, path, { body, token: 'not-a-jwt' });
    for (const answer of [none, forged, garbage]) {
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('invalid_token');
    }
    expect(await profileRow(user.id)).toMatchObject({ display_name: null, onboarding_completed: false });
  });

  it('answers 404 profile_not_found before the first sync', async () => {
    const user = await stack.signedInUser();
    const answer = await stack.request(method, path, { token: user.accessToken, body });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('profile_not_found');
    expect(answer.body.message).toContain('/auth/users/sync');
  });

  it('answers 401 user_deleted for a deleted user', async () => {
    const user = await syncedUser();
    await stack.app.get(UsersService).deleteUser(user.id, { source: 'admin' });
    const answer = await stack.request(method, path, { token: user.accessToken, body });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('user_deleted');
  });
});

describe('the push of onboarding to Supabase user_metadata', () => {
  it('reaches Supabase, keeps the other keys, and is in the token after a supabase-js refresh', async () => {
    const user = await syncedUser({ theme: 'dark', full_name: 'Token Reader' });
    const client = stack.anon();
    const signIn = await client.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    expect(signIn.error).toBeNull();
    expect(claimsOf(signIn.data.session!.access_token).user_metadata).not.toHaveProperty('onboarding_completed');

    const answer = await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: ANSWERS });
    expect(answer.status).toBe(200);

    const { data } = await eventually(
      () => stack.admin.auth.admin.getUserById(user.id),
      (result) => result.data.user?.user_metadata.onboarding_completed === true,
    );
    expect(data.user!.user_metadata).toMatchObject({
      onboarding_completed: true,
      industry: 'Software',
      job_title: 'Engineer',
      email_consent: true,
      display_name: 'Token Reader',
      theme: 'dark',
      full_name: 'Token Reader',
    });

    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(refreshed.data.session!.user.user_metadata).toMatchObject({ onboarding_completed: true, theme: 'dark' });
    expect(claimsOf(refreshed.data.session!.access_token).user_metadata).toMatchObject({
      onboarding_completed: true,
      job_title: 'Engineer',
      theme: 'dark',
    });
  });

  it('is retried until Supabase takes it, and a sync meanwhile keeps the newer local answers', async () => {
    const user = await syncedUser({ full_name: 'Retry Person' });
    stack.auth.faults.add({ method: 'PUT', path: new RegExp(`/admin/users/${user.id}`), status: 503, times: 2 });
    const started = Date.now();

    const onboarded = await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: ANSWERS });
    expect(onboarded.status).toBe(200);

    const failing = await eventually(
      () => pushJob(user.id),
      (job) => (job?.attempts ?? 0) >= 1 && job?.last_error != null,
    );
    expect(failing!.last_error).toContain('Supabase did not take the profile metadata');
    expect(supabaseMetadata(user.id)).not.toHaveProperty('onboarding_completed');

    const sync = await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    expect(sync.status).toBe(200);
    expect(sync.body.user.userMetadata).not.toHaveProperty('onboarding_completed');
    expect(sync.body.profile).toEqual(onboarded.body.profile);
    expect((await stack.request('GET', '/users/me', { token: user.accessToken })).body.profile).toEqual(onboarded.body.profile);

    await eventually(
      () => supabaseMetadata(user.id),
      (metadata) => metadata.onboarding_completed === true,
      20_000,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(supabaseMetadata(user.id)).toMatchObject({
      industry: 'Software',
      job_title: 'Engineer',
      email_consent: true,
      full_name: 'Retry Person',
    });
    expect(stack.auth.stats.count('PUT', `/auth/v1/admin/users/${user.id}`)).toBe(3);
    await eventually(
      () => pushJob(user.id),
      (job) => job === null,
      5_000,
    );
  }, 40_000);

  it('does nothing once the user was deleted locally, and ends quietly', async () => {
    const user = await syncedUser();
    stack.auth.faults.add({ method: 'PUT', path: new RegExp(`/admin/users/${user.id}`), status: 503, times: 1 });
    await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: ANSWERS });
    await eventually(
      () => pushJob(user.id),
      (job) => (job?.attempts ?? 0) >= 1,
    );

    await stack.app.get(UsersService).deleteUser(user.id, { source: 'admin' });

    await eventually(
      () => pushJob(user.id),
      (job) => job === null,
    );
    expect(stack.auth.stats.count('PUT', `/auth/v1/admin/users/${user.id}`)).toBe(1);
    expect(supabaseMetadata(user.id)).not.toHaveProperty('onboarding_completed');
  }, 30_000);
});

describe('OpenAPI', () => {
  it('documents both endpoints with their request bodies and every answer', async () => {
    const { body: document } = await stack.request('GET', '/docs-json');
    const patch = document.paths['/profiles/me'].patch;
    const onboarding = document.paths['/profiles/me/onboarding'].post;
    for (const operation of [patch, onboarding]) {
      expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '404', '503']);
      expect(operation.security).toEqual([{ bearer: [] }]);
    }
    expect(onboarding.description).toContain('Idempotent');
    expect(document.components.schemas.CompleteOnboardingRequest.required.sort()).toEqual(['emailConsent', 'industry', 'jobTitle']);
    expect(document.components.schemas.UpdateProfileRequest.properties.displayName).toMatchObject({ minLength: 1, maxLength: 100 });
  });
});
