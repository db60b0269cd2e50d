// The `GET /users/me` read of the baseline servers: the API's own query
// (UsersRepository's FIND_WITH_PROFILE) and row mappers, run through plain `pg`, so that the
// baselines do the same database and serialisation work as the API and answer the same body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pg from 'pg';
import { toProfileResponse } from '../src/profiles/profile-row.js';
import { toUserResponse } from '../src/users/user-mapper.js';
import { FIND_WITH_PROFILE, splitUserWithProfile, type UserWithProfileRow } from '../src/users/users.repository.js';

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
  const { rows } = await pool.query<UserWithProfileRow>({ name: FIND_WITH_PROFILE.name, text: FIND_WITH_PROFILE.text, values: [userId] });
  const row = rows[0];
  if (!row)
    return { status: 404, body: errorBody(404, 'user_not_found', 'This user is not mirrored yet: call POST /auth/users/sync first') };
  const { user, profile } = splitUserWithProfile(row);
  if (user.deleted_at) return { status: 401, body: errorBody(401, 'user_deleted', 'This user has been deleted') };
  const body = { user: toUserResponse(user), profile: profile ? toProfileResponse(profile) : null };
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
