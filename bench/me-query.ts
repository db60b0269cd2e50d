// The `GET /users/me` read of the baseline servers: the same single query as the API's
// UsersRepository.findWithProfile (users LEFT JOIN profiles by id, same columns) and the same
// response body (UserResponse + ProfileResponse, camelCase, ISO dates), so the baselines do the
// same database and serialisation work as the API, through plain `pg`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pg from 'pg';

const ME_SQL = `SELECT u.id, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at,
  u.last_sign_in_at, u.banned_until, u.role, u.is_anonymous, u.app_metadata, u.user_metadata,
  u.created_at, u.updated_at, u.synced_at, u.deleted_at,
  p.display_name AS p_display_name, p.first_name AS p_first_name,
  p.last_name AS p_last_name, p.industry AS p_industry, p.job_title AS p_job_title,
  p.email_consent AS p_email_consent, p.onboarding_completed AS p_onboarding_completed,
  p.onboarded_at AS p_onboarded_at, p.updated_at AS p_updated_at
  FROM users u LEFT JOIN profiles p ON p.user_id = u.id
  WHERE u.id = $1::uuid`;

interface MeRow {
  id: string;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | null;
  phone_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  banned_until: Date | null;
  role: string | null;
  is_anonymous: boolean;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  created_at: Date | null;
  updated_at: Date | null;
  synced_at: Date;
  deleted_at: Date | null;
  p_display_name: string | null;
  p_first_name: string | null;
  p_last_name: string | null;
  p_industry: string | null;
  p_job_title: string | null;
  p_email_consent: boolean | null;
  p_onboarding_completed: boolean | null;
  p_onboarded_at: Date | null;
  p_updated_at: Date | null;
}

export function createPool(): pg.Pool {
  const connectionString = requiredEnv('DATABASE_URL');
  const max = Number(requiredEnv('DATABASE_POOL_SIZE'));
  // The same connection settings as the API's pool: prepared statements keep a generic plan.
  return new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000, options: '-c plan_cache_mode=force_generic_plan' });
}

export type MeResult = { status: 200; body: string } | { status: 401 | 404; body: string };

/** Reads the user's row with its profile and renders the API's response (or its 404/401). */
export async function readMe(pool: pg.Pool, userId: string): Promise<MeResult> {
  // Prepared once per connection, as the API does: the baselines get the same database work.
  const { rows } = await pool.query<MeRow>({ name: 'me', text: ME_SQL, values: [userId] });
  const row = rows[0];
  if (!row)
    return { status: 404, body: errorBody(404, 'user_not_found', 'This user is not mirrored yet: call POST /auth/users/sync first') };
  if (row.deleted_at) return { status: 401, body: errorBody(401, 'user_deleted', 'This user has been deleted') };
  const body = {
    user: {
      id: row.id,
      email: row.email,
      phone: row.phone,
      emailConfirmedAt: row.email_confirmed_at?.toISOString() ?? null,
      phoneConfirmedAt: row.phone_confirmed_at?.toISOString() ?? null,
      lastSignInAt: row.last_sign_in_at?.toISOString() ?? null,
      role: row.role,
      isAnonymous: row.is_anonymous,
      appMetadata: row.app_metadata,
      userMetadata: row.user_metadata,
      createdAt: row.created_at?.toISOString() ?? null,
      updatedAt: row.updated_at?.toISOString() ?? null,
      syncedAt: row.synced_at.toISOString(),
    },
    profile:
      row.p_updated_at === null
        ? null
        : {
            displayName: row.p_display_name,
            firstName: row.p_first_name,
            lastName: row.p_last_name,
            industry: row.p_industry,
            jobTitle: row.p_job_title,
            emailConsent: row.p_email_consent ?? false,
            onboardingCompleted: row.p_onboarding_completed ?? false,
            onboardedAt: row.p_onboarded_at?.toISOString() ?? null,
            updatedAt: row.p_updated_at.toISOString(),
          },
  };
  return { status: 200, body: JSON.stringify(body) };
}

export function errorBody(status: number, code: string, message: string): string {
  return JSON.stringify({ statusCode: status, code, message });
}

export function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = header.slice(7).trim();
  return token === '' ? null : token;
}

export function requiredEnv(name: string): string {
  const found = process.env[name];
  if (!found) throw new Error(`${name} is not set`);
  return found;
}

/**
 * A bare node:http server answering `GET /health` and `GET /users/me` (through `me`), 404
 * otherwise; listens on PORT at 127.0.0.1 and stops on SIGTERM/SIGINT.
 */
export async function serve(
  name: string,
  pool: pg.Pool,
  me: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<Server> {
  const server = createServer({ keepAlive: true }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/users/me') {
      me(req, res).catch((error: unknown) => {
        process.stderr.write(`${name}: ${(error as Error).stack ?? String(error)}\n`);
        if (!res.headersSent) send(res, 500, errorBody(500, 'internal_error', 'Unexpected failure'));
        else res.destroy();
      });
      return;
    }
    if (req.method === 'GET' && path === '/health') return send(res, 200, '{"status":"ok"}');
    send(res, 404, errorBody(404, 'not_found', 'Not found'));
  });
  // Same keep-alive window as Fastify's default (72 s), so idle autocannon sockets are not cut.
  server.keepAliveTimeout = 72_000;
  const port = Number(requiredEnv('PORT'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
