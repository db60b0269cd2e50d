// A request's way through the stand-in: counted and logged, injected faults first, the CORS
// preflight, the local mailbox, then under /auth/v1 the open routes, the gateway's apikey check
// and the routes behind it (and /rest/v1/rpc/revoke_session, PostgREST's, routes/rest-rpc.ts).
// Errors are answered in GoTrue's shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEV_KEYS } from './dev-keys.js';
import { ApiError, CORS_HEADERS, sendError, wantsNewFormat } from './errors.js';
import { header, queryParams, send, type Ctx, type Handler, type Routes } from './http.js';
import { adminRoute } from './routes/admin-users.js';
import { handleRestRpc } from './routes/rest-rpc.js';
import { discoveryRoutes, settingsRoutes } from './routes/discovery.js';
import { emailLinkRoutes, emailRoutes } from './routes/email.js';
import { otpRoutes } from './routes/otp.js';
import { signupRoutes } from './routes/signup.js';
import { tokenRoutes } from './routes/token.js';
import { userRoutes } from './routes/user.js';
import type { AuthState } from './state.js';

export const PREFIX = '/auth/v1';

type RouteTable = Map<string, Routes[string]>;

function table(...sets: Routes[]): RouteTable {
  const byPath: RouteTable = new Map();
  for (const routes of sets) for (const [path, methods] of Object.entries(routes)) byPath.set(path, { ...byPath.get(path), ...methods });
  return byPath;
}

function find(routes: RouteTable, path: string, method: string): Handler | undefined {
  const methods = routes.get(path);
  return methods && Object.hasOwn(methods, method) ? methods[method] : undefined;
}

/**
 * With the local Supabase database, a request's writes are one transaction, and its answer waits
 * for the commit: when the commit fails the client gets GoTrue's 500, not what the handler wrote.
 */
async function committed(s: AuthState, ctx: Ctx, handle: () => void | Promise<void>): Promise<void> {
  const database = s.store.database;
  if (!database) return handle();
  const { res } = ctx;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => void;
  const end = res.end.bind(res) as (...args: unknown[]) => void;
  const held: { head?: unknown[]; body?: unknown[] } = {};
  res.writeHead = (...args: unknown[]) => ((held.head = args), res);
  res.end = ((...args: unknown[]) => ((held.body = args), res)) as typeof res.end;
  try {
    await database.inRequest(async () => handle());
  } catch (error) {
    held.head = held.body = undefined;
    throw error;
  } finally {
    res.writeHead = writeHead as typeof res.writeHead;
    res.end = end as typeof res.end;
    if (held.head) writeHead(...held.head);
    if (held.body) end(...held.body);
  }
}

export function createRouter(s: AuthState): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const knownApiKeys = new Set([DEV_KEYS.anonKey, DEV_KEYS.serviceRoleKey, DEV_KEYS.publishableKey, DEV_KEYS.secretKey]);
  // Open routes (no apikey needed, like the self-hosted gateway).
  const open = table(discoveryRoutes(s), emailLinkRoutes(s));
  const gated = table(signupRoutes(s), tokenRoutes(s), userRoutes(s), emailRoutes(s), otpRoutes(s), settingsRoutes(s));
  const admin = adminRoute(s);

  function route(ctx: Ctx): void | Promise<void> {
    if (ctx.path.startsWith('/admin/')) return admin(ctx);
    const handler = find(gated, ctx.path, ctx.method);
    if (!handler) throw new ApiError(404, 'not_found', 'Not Found');
    return handler(ctx);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = s.quiet ? 0 : performance.now();
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const fullPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
    const method = req.method ?? 'GET';
    const newFormat = wantsNewFormat(req.headers['x-supabase-api-version']);
    const counterKey = method + ' ' + fullPath;
    const prev = s.counters.get(counterKey);
    if (prev !== undefined) s.counters.set(counterKey, prev + 1);
    else if (s.counters.size < 10_000) s.counters.set(counterKey, 1); // bounded: ids appear in paths
    if (!s.quiet) {
      res.on('finish', () => {
        // Path only: query strings and bodies may carry secrets.
        console.log(`[auth-stand-in] ${method} ${fullPath} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
      });
    }
    try {
      const handled = s.faults.apply(req, res, rawUrl);
      if (handled && (await handled)) return;
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          ...CORS_HEADERS,
          'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
          'Access-Control-Allow-Headers':
            header(req, 'access-control-request-headers') ?? 'authorization, apikey, content-type, x-client-info, x-supabase-api-version',
          'Access-Control-Max-Age': '86400',
        });
        res.end();
        return;
      }
      if (method === 'GET' && (fullPath === '/mailbox' || fullPath === '/mailbox/messages')) {
        s.mailbox.serve(req, res, fullPath, queryParams(rawQuery).get('to'));
        return;
      }
      const rest = fullPath.startsWith('/rest/v1/');
      if (!rest && fullPath !== PREFIX && !fullPath.startsWith(PREFIX + '/')) {
        send(res, 404, '{"message":"no Route matched with those values"}');
        return;
      }
      const path = fullPath.length === PREFIX.length ? '/' : fullPath.slice(PREFIX.length);
      const ctx: Ctx = { req, res, method, path, rawQuery, newFormat };
      const openHandler = rest ? undefined : find(open, path, method);
      if (openHandler) {
        await committed(s, ctx, () => openHandler(ctx));
        return;
      }
      // Gateway: apikey header (or ?apikey=) must be a known key.
      let apikey = header(req, 'apikey');
      if (!apikey && rawQuery.includes('apikey=')) apikey = queryParams(rawQuery).get('apikey') ?? undefined;
      if (!apikey) {
        send(
          res,
          401,
          JSON.stringify({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' }),
        );
        return;
      }
      if (!knownApiKeys.has(apikey)) {
        send(
          res,
          401,
          JSON.stringify({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' }),
        );
        return;
      }
      if (rest) await handleRestRpc(s, req, res, fullPath);
      else await committed(s, ctx, () => route(ctx));
    } catch (e) {
      if (res.headersSent || res.destroyed) return;
      if (e instanceof ApiError) {
        sendError(res, e, newFormat);
        return;
      }
      if (!s.quiet) console.error('[auth-stand-in] unexpected error:', e);
      sendError(
        res,
        new ApiError(500, 'unexpected_failure', 'Unexpected failure, please check server logs for more information'),
        newFormat,
      );
    }
  };
}
