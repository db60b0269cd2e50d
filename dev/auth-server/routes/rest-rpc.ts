// A sliver of PostgREST (Supabase's /rest/v1), for the one call the service makes through it:
// POST /rest/v1/rpc/revoke_session in schema `authmirror` (supabase/authmirror-trigger.sql, which
// grants it to service_role alone of the API roles). Roles and answers as PostgREST gives them
// (PostgREST src/PostgREST/Error.hs: 42501 is 401 for anon and 403 otherwise; PGRST202 for a
// function not in the schema cache; 22P02 for a malformed uuid), behind the gateway's apikey check.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEV_KEYS } from '../dev-keys.js';
import { header, parseBearer, readBody, send, UUID_RE } from '../http.js';
import type { AuthState } from '../state.js';

const SERVICE_KEYS = new Set([DEV_KEYS.serviceRoleKey, DEV_KEYS.secretKey]);
const ANON_KEYS = new Set([DEV_KEYS.anonKey, DEV_KEYS.publishableKey]);

/** The database role PostgREST would switch to: the bearer's, else the apikey's (the gateway turns a new-style key into one). */
function roleOf(req: IncomingMessage): 'service_role' | 'anon' | 'authenticated' {
  const bearer = parseBearer(req) ?? header(req, 'apikey') ?? '';
  if (SERVICE_KEYS.has(bearer)) return 'service_role';
  return ANON_KEYS.has(bearer) ? 'anon' : 'authenticated';
}

function postgrestError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, JSON.stringify({ code, details: null, hint: null, message }));
}

export async function handleRestRpc(s: AuthState, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  // supabase-js sends the schema of a POST in Content-Profile; without it PostgREST looks in `public`.
  const schema = header(req, 'content-profile') ?? 'public';
  if (req.method !== 'POST' || path !== '/rest/v1/rpc/revoke_session' || schema !== 'authmirror') {
    const name = path.startsWith('/rest/v1/rpc/') ? path.slice('/rest/v1/rpc/'.length) : path;
    postgrestError(res, 404, 'PGRST202', `Could not find the function ${schema}.${name} in the schema cache`);
    return;
  }
  const role = roleOf(req);
  if (role !== 'service_role') {
    postgrestError(res, role === 'anon' ? 401 : 403, '42501', 'permission denied for function revoke_session');
    return;
  }
  let sessionId: unknown;
  try {
    sessionId = (JSON.parse((await readBody(req)).toString('utf8')) as { session_id?: unknown }).session_id;
  } catch {
    postgrestError(res, 400, 'PGRST102', 'Empty or invalid json');
    return;
  }
  if (typeof sessionId !== 'string' || !UUID_RE.test(sessionId)) {
    postgrestError(res, 400, '22P02', `invalid input syntax for type uuid: "${String(sessionId).slice(0, 64)}"`);
    return;
  }
  try {
    send(res, 200, JSON.stringify(await s.endSession(sessionId.toLowerCase())));
  } catch (error) {
    // The function (or its schema) not installed in this database.
    const code = (error as { code?: string }).code;
    if (code !== '42883' && code !== '3F000') throw error;
    postgrestError(res, 404, 'PGRST202', 'Could not find the function authmirror.revoke_session(session_id) in the schema cache');
  }
}
