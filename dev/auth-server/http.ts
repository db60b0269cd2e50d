// HTTP plumbing of the Auth stand-in shared by its route handlers: reading bodies as Go's
// json.Unmarshal would, GoTrue's parameter getters and validators, and sending answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, CORS_HEADERS, badJson, validationFailed } from './errors.js';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
// github.com/badoux/checkmail's format regexp, used by GoTrue's validateEmail.
export const EMAIL_RE =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
export const PHONE_RE = /^[1-9]\d{1,14}$/;
export const MAX_BODY = 1024 * 1024;
export const JSON_TYPE = 'application/json';

export type Json = Record<string, unknown>;

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** path after /auth/v1 */
  path: string;
  rawQuery: string;
  newFormat: boolean;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;
/** Handlers by path after /auth/v1, then by method. */
export type Routes = Record<string, Partial<Record<string, Handler>>>;

export function send(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  const headers: Record<string, string> = {
    ...CORS_HEADERS,
    'Content-Type': JSON_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
  };
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function parseBearer(req: IncomingMessage): string | null {
  const h = header(req, 'authorization');
  if (!h) return null;
  const m = /^bearer (\S+)$/i.exec(h.trim());
  return m ? m[1] : null;
}

export function queryParams(raw: string): URLSearchParams {
  return new URLSearchParams(raw);
}

/** Go's url.QueryEscape. */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/** Go's url.Values.Encode(): keys sorted, values in order. */
export function goEncodeValues(values: Map<string, string[]>): string {
  const keys = [...values.keys()].sort();
  const parts: string[] = [];
  for (const k of keys) for (const v of values.get(k)!) parts.push(goQueryEscape(k) + '=' + goQueryEscape(v));
  return parts.join('&');
}

export function jsType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

export function typeError(key: string, v: unknown, want: string): ApiError {
  return badJson(`json: cannot unmarshal ${jsType(v)} into Go struct field .${key} of type ${want}`);
}

export function getString(body: Json, key: string): string {
  const v = body[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw typeError(key, v, 'string');
  return v;
}

export function getBool(body: Json, key: string): boolean {
  const v = body[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw typeError(key, v, 'bool');
  return v;
}

export function getObject(body: Json, key: string): Json | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(key, v, 'map[string]interface {}');
  return v as Json;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY) {
        failed = true;
        reject(new ApiError(413, 'request_too_large', 'Request body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

/** Parse a JSON object body like Go's json.Unmarshal into a struct. */
export async function readJson(ctx: Ctx, optional = false): Promise<Json> {
  const buf = await readBody(ctx.req);
  const text = buf.toString('utf8');
  if (text.trim() === '') {
    if (optional) return {};
    throw badJson('unexpected end of JSON input');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badJson((e as Error).message);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw badJson(`json: cannot unmarshal ${jsType(v)} into Go value of type api.Params`);
  }
  return v as Json;
}

export function validateEmail(email: string): string {
  if (email === '') throw validationFailed('An email address is required');
  if (email.length > 255) throw validationFailed('An email address is too long');
  if (!EMAIL_RE.test(email)) throw validationFailed('Unable to validate email address: invalid format');
  return email.toLowerCase();
}

/** GoTrue's formatPhoneNumber + validatePhone: strip '+' and spaces, require E.164 digits. */
export function validatePhone(phone: string): string {
  const p = phone.replace(/^\+/, '').replaceAll(' ', '');
  if (!PHONE_RE.test(p)) throw validationFailed('Invalid phone number format (E.164 required)');
  return p;
}

/** Go's time.ParseDuration (subset sufficient for ban_duration). Returns milliseconds. */
export function parseGoDuration(s: string): number | null {
  const m = /^([+-]?)(.+)$/.exec(s);
  if (!m || m[2] === '') return null;
  if (m[2] === '0') return 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  const rest = m[2];
  while (pos < rest.length) {
    re.lastIndex = pos;
    const mm = re.exec(rest);
    if (!mm) return null;
    total += Number(mm[1]) * unitMs[mm[2]];
    pos = re.lastIndex;
  }
  return m[1] === '-' ? -total : total;
}
