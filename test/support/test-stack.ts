import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { startAuthServer, type AuthServer, type AuthServerOptions } from '../../dev/auth-server/server.js';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createTestDatabase } from './database.js';

export interface TestStack {
  /** Base URL of the API, e.g. http://127.0.0.1:41234 */
  url: string;
  app: NestFastifyApplication;
  auth: AuthServer;
  /** A plain pg pool on this test file's own database, for assertions. */
  db: pg.Pool;
  /** The app's DATABASE_URL. */
  databaseUrl: string;
  /** supabase-js with the anon key, as a frontend would use it. */
  anon(): SupabaseClient;
  /** supabase-js with the service-role key. */
  admin: SupabaseClient;
  /** Calls the API with real HTTP. */
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string>; /** another instance's URL */ via?: string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /**
   * Another API instance on the same database and auth server, as a second instance behind a load
   * balancer; closed with the stack. (Passport's strategy registry is process-wide: the newest
   * app's strategy serves both, which verifies tokens exactly as the first one's did.)
   */
  secondInstance(extraEnv?: Record<string, string>): Promise<{ url: string; app: NestFastifyApplication }>;
  /** Signs a new user up (confirmed) and signs in; returns the session's access token and the user id. */
  signedInUser(options?: {
    email?: string;
    password?: string;
    data?: Record<string, unknown>;
  }): Promise<{ id: string; email: string; accessToken: string }>;
  /** A signed-in, mirrored user whose token carries `app_metadata.roles: ["admin"]` (and its password, for a sign-in form). */
  signedInAdmin(): Promise<{ id: string; email: string; password: string; accessToken: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** application_name of the stack's `db` pool. */
export const TEST_POOL_NAME = 'authmirror-test';

/**
 * Starts the API on a fresh database with its own local Supabase Auth stand-in. One per test file:
 * passport keeps strategies in a process-wide registry, so a second app in the same file would
 * replace the first one's token strategy.
 */
export async function startTestStack(
  options: {
    auth?: AuthServerOptions;
    env?: Record<string, string>;
    logDestination?: Writable;
    /** Another database than a fresh clone of the template (e.g. on a Postgres the test stops). */
    database?: { url: string; drop(): Promise<void> };
  } = {},
): Promise<TestStack> {
  const database = options.database ?? (await createTestDatabase());
  // GoTrue's per-address limits (POST /token, /verify, /signup, /recover, /resend, PUT /user)
  // and its hourly email budget are off unless a test asks for them: every call of a test file
  // comes from one address, and most files sign in (and sign up) far more than 30 times.
  const auth = await startAuthServer({
    autoconfirm: true,
    quiet: true,
    rateLimitTokenRefresh: 0,
    rateLimitVerify: 0,
    rateLimitOtp: 0,
    rateLimitEmailSent: 0,
    ...options.auth,
  });
  const env = {
    DATABASE_URL: database.url,
    SUPABASE_URL: auth.url,
    SUPABASE_ANON_KEY: auth.keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: auth.keys.serviceRoleKey,
    LOG_LEVEL: 'silent',
    // No scheduled reconcile in tests: its sweep would remove users a test made up.
    RECONCILE_INTERVAL_MINUTES: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    ...(options.auth?.signing === 'hs256' ? { SUPABASE_JWT_SECRET: auth.keys.jwtSecret } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const listening = async (instanceConfig = config) => {
    const instance = await createApp(instanceConfig, { logDestination: options.logDestination });
    await instance.listen(0, '127.0.0.1');
    const address = instance.getHttpServer().address();
    return { app: instance, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
  };
  const { app, url } = await listening();
  const others: NestFastifyApplication[] = [];
  const secondInstance = async (extraEnv: Record<string, string> = {}) => {
    const other = await listening(loadConfig({ ...env, ...extraEnv }));
    others.push(other.app);
    return other;
  };
  // Named, so that a test can tell its own connections from the app's.
  const db = new pg.Pool({ connectionString: database.url, max: 4, application_name: TEST_POOL_NAME });
  db.on('error', () => undefined); // idle connections die when a test stops Postgres
  const clientOptions = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };
  const admin = createClient(auth.url, auth.keys.serviceRoleKey, clientOptions);

  const request: TestStack['request'] = async (method, path, { token, body, headers = {}, via = url } = {}) => {
    const response = await fetch(`${via}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };

  const anon = () => createClient(auth.url, auth.keys.anonKey, clientOptions);

  const signedInUser: TestStack['signedInUser'] = async ({ email, password = 'correct horse battery', data } = {}) => {
    const address = email ?? `user${process.pid}-${++counter}-${Date.now()}@example.com`;
    const client = anon();
    const signUp = await client.auth.signUp({ email: address, password, options: { data } });
    if (signUp.error) throw signUp.error;
    const signIn = await client.auth.signInWithPassword({ email: address, password });
    if (signIn.error) throw signIn.error;
    return { id: signIn.data.user.id, email: address, accessToken: signIn.data.session.access_token };
  };

  const signedInAdmin: TestStack['signedInAdmin'] = async () => {
    const password = 'correct horse battery';
    const user = await signedInUser({ password });
    const granted = await admin.auth.admin.updateUserById(user.id, { app_metadata: { roles: ['admin'] } });
    if (granted.error) throw granted.error;
    // A token issued after the change carries the role.
    const signIn = await anon().auth.signInWithPassword({ email: user.email, password });
    if (signIn.error) throw signIn.error;
    await request('POST', '/auth/users/sync', { token: signIn.data.session.access_token });
    return { ...user, password, accessToken: signIn.data.session.access_token };
  };

  return {
    url,
    app,
    auth,
    db,
    databaseUrl: database.url,
    anon,
    admin,
    request,
    secondInstance,
    signedInUser,
    signedInAdmin,
    async close() {
      for (const other of others) await other.close().catch(() => undefined); // a test may have closed it already
      await app.close();
      await db.end();
      await auth.close();
      await database.drop();
    },
  };
}
