// Baseline (b), "call-per-request guard": what common Supabase guards do. For every
// `GET /users/me` it asks the auth server who the token belongs to (`GET /auth/v1/user` with the
// token and the anon key, like supabase-js `auth.getUser(token)`), over a keep-alive connection
// pool (the global fetch/undici dispatcher), then runs the same single query through `pg` with the
// API's pool size and renders the same body. Nothing is cached between requests.
//
// Env: PORT, DATABASE_URL, DATABASE_POOL_SIZE, SUPABASE_URL, SUPABASE_ANON_KEY.
import { bearerOf, createPool, errorBody, readMe, requiredEnv, send, serve } from './me-query.js';

const userUrl = `${requiredEnv('SUPABASE_URL').replace(/\/+$/, '')}/auth/v1/user`;
const anonKey = requiredEnv('SUPABASE_ANON_KEY');
const pool = createPool();
await pool.query('SELECT 1');

const UNAUTHORIZED = errorBody(401, 'invalid_token', 'The access token is invalid, expired or not a user token');

await serve('guard-server', pool, async (req, res) => {
  const token = bearerOf(req);
  if (!token) return send(res, 401, UNAUTHORIZED);
  const response = await fetch(userUrl, {
    headers: { authorization: `Bearer ${token}`, apikey: anonKey },
    signal: AbortSignal.timeout(5_000),
  });
  const user = (await response.json()) as { id?: unknown };
  if (response.status !== 200 || typeof user.id !== 'string') return send(res, 401, UNAUTHORIZED);
  const result = await readMe(pool, user.id);
  send(res, result.status, result.body);
});
