// Baseline (a), "minimal same-work server": the ceiling for `GET /users/me`.
// Bare node:http; verifies the ES256 access token locally with the project's JWKS key (fetched
// once at start, like the API's SigningKeysService), with the same checks as the API's
// SupabaseJwtStrategy (alg, kid, signature, aud, iss, exp, role, sub), then runs the same single
// query through `pg` with the API's pool size and renders the same body. Nothing is cached
// between requests: every request verifies its token and reads Postgres.
//
// Env: PORT, DATABASE_URL, DATABASE_POOL_SIZE, SUPABASE_URL, SUPABASE_ANON_KEY.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bearerOf, createPool, errorBody, readMe, requiredEnv, send, serve } from './me-query.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const supabaseUrl = requiredEnv('SUPABASE_URL').replace(/\/+$/, '');
const issuer = `${supabaseUrl}/auth/v1`;
const keys = await fetchKeys();
const pool = createPool();
await pool.query('SELECT 1');

async function fetchKeys(): Promise<Map<string, KeyObject>> {
  const response = await fetch(`${issuer}/.well-known/jwks.json`, { headers: { apikey: requiredEnv('SUPABASE_ANON_KEY') } });
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  const { keys: jwks } = (await response.json()) as { keys: Array<JsonWebKey & { kid?: string; alg?: string }> };
  const found = new Map<string, KeyObject>();
  for (const jwk of jwks) {
    if (jwk.kid && (jwk.alg ?? 'ES256') === 'ES256' && jwk.kty === 'EC') found.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
  }
  if (found.size === 0) throw new Error('the JWKS holds no ES256 key');
  return found;
}

function parsePart(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The verified subject of an ES256 Supabase access token, or null. */
function verifiedSubject(token: string): string | null {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first || token.indexOf('.', second + 1) !== -1) return null;
  const header = parsePart(token.slice(0, first));
  if (!header || header.alg !== 'ES256' || typeof header.kid !== 'string') return null;
  const key = keys.get(header.kid);
  if (!key) return null;
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (!verify('sha256', Buffer.from(token.slice(0, second)), { key, dsaEncoding: 'ieee-p1363' }, signature)) return null;
  const claims = parsePart(token.slice(first + 1, second));
  if (!claims) return null;
  const aud = claims.aud;
  if (!(aud === 'authenticated' || (Array.isArray(aud) && aud.includes('authenticated')))) return null;
  if (claims.iss !== issuer) return null;
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) return null;
  if (typeof claims.nbf === 'number' && claims.nbf > Date.now() / 1000) return null;
  if (claims.role !== 'authenticated') return null;
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return null;
  return claims.sub.toLowerCase();
}

await serve('minimal-server', pool, async (req, res) => {
  const token = bearerOf(req);
  const userId = token ? verifiedSubject(token) : null;
  if (!userId) return send(res, 401, errorBody(401, 'invalid_token', 'The access token is invalid, expired or not a user token'));
  const result = await readMe(pool, userId);
  send(res, result.status, result.body);
});
