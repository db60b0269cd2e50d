// One pg_net request sent as libcurl sends it (pg_net src/core.c init_curl_handle; docs/pg-net.md
// "One request"): one attempt, redirects followed with POST turned into GET on 301/302/303, one
// timeout over the whole exchange, and the outcome recorded as pg_net's insert_response does.
import http from 'node:http';
import https from 'node:https';

export const PG_NET_VERSION = '0.20.4';
const MAX_REDIRECTS = 30; // libcurl's default since 8.3.0; pg_net sets no CURLOPT_MAXREDIRS

export interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  timeoutMilliseconds: number;
  /** `key: value` lines from jsonb_each_text(headers); null when headers is NULL. */
  headers: string[] | null;
  body: Buffer | null;
}

/** A row of net._http_response (without id and created). */
export interface RecordedResponse {
  statusCode: number | null;
  contentType: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timedOut: boolean;
  errorMsg: string | null;
}

interface Hop {
  status: number;
  headers: Record<string, string>;
  contentType: string | null;
  body: Buffer;
  location: string | null;
}

class CurlError extends Error {}

export async function sendAsCurl(request: QueuedRequest): Promise<RecordedResponse> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = request.timeoutMilliseconds > 0 ? setTimeout(() => controller.abort(), request.timeoutMilliseconds) : undefined;
  try {
    return await follow(request, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      const total = (performance.now() - started).toFixed(6);
      return failure(`Timeout of ${request.timeoutMilliseconds} ms reached. Total time: ${total} ms`, true);
    }
    return failure(error instanceof CurlError ? error.message : curlMessage(error as NodeJS.ErrnoException));
  } finally {
    clearTimeout(timer);
  }
}

async function follow(request: QueuedRequest, signal: AbortSignal): Promise<RecordedResponse> {
  let url = parseUrl(request.url);
  let method = request.method.toUpperCase();
  let body = request.body;
  let first: Hop | null = null;
  const originalHost = url.host;
  for (let redirects = 0; ; redirects++) {
    // Custom Authorization and Cookie are not sent to another host (libcurl's rule).
    const toOtherHost = url.host !== originalHost;
    const hop = await exchange(url, method, headerLines(request, body, toOtherHost), body, signal);
    first ??= hop;
    if (hop.location === null || ![301, 302, 303, 307, 308].includes(hop.status)) {
      return {
        statusCode: hop.status,
        contentType: hop.contentType,
        headers: first.headers, // request 0: the first response of the chain
        content: hop.body.length === 0 ? null : contentText(hop.body),
        timedOut: false,
        errorMsg: null,
      };
    }
    if (redirects >= MAX_REDIRECTS) throw new CurlError(`Number of redirects hit maximum amount`);
    url = parseUrl(new URL(hop.location, url).toString());
    if ([301, 302, 303].includes(hop.status) && method === 'POST') {
      method = 'GET'; // no CURLOPT_POSTREDIR: curl re-sends a POST as a body-less GET
      body = null;
    }
  }
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CurlError('URL using bad/illegal format or missing URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CurlError('Unsupported protocol');
  return url;
}

/** The header lines curl sends: pg_net's, its User-Agent when headers is not NULL, curl's own. */
function headerLines(request: QueuedRequest, body: Buffer | null, toOtherHost: boolean): [string, string][] {
  const lines: [string, string][] = [];
  for (const line of request.headers ?? []) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    if (toOtherHost && /^(authorization|cookie)$/i.test(name)) continue;
    lines.push([name, line.slice(colon + 1).trim()]);
  }
  if (request.headers !== null) lines.push(['User-Agent', `pg_net/${PG_NET_VERSION}`]);
  const has = (name: string) => lines.some(([n]) => n.toLowerCase() === name);
  if (!has('accept')) lines.push(['Accept', '*/*']);
  if (body !== null && !has('content-type')) lines.push(['Content-Type', 'application/x-www-form-urlencoded']);
  return lines;
}

function exchange(url: URL, method: string, headers: [string, string][], body: Buffer | null, signal: AbortSignal): Promise<Hop> {
  const client = url.protocol === 'https:' ? https : http;
  const sendsBody = body !== null || method === 'POST';
  const flat = ['Host', url.host, ...headers.flat()]; // with headers as a list, Node adds no Host
  if (sendsBody) flat.push('Content-Length', String(body?.length ?? 0));
  return new Promise<Hop>((resolve, reject) => {
    const req = client.request(url, { method, headers: flat, signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new CurlError('Failure when receiving data from the peer')));
      res.on('end', () => {
        if (!res.complete) return reject(new CurlError('Failure when receiving data from the peer'));
        const recorded: Record<string, string> = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) recorded[res.rawHeaders[i]] = res.rawHeaders[i + 1]; // last wins
        const contentType = res.headers['content-type'] ?? null;
        resolve({
          status: res.statusCode ?? 0,
          headers: recorded,
          contentType,
          body: Buffer.concat(chunks),
          location: res.headers.location ?? null,
        });
      });
    });
    req.on('error', reject);
    req.end(sendsBody ? (body ?? undefined) : undefined);
  });
}

/** pg_net stores the body with CStringGetTextDatum: it stops at the first NUL byte. */
function contentText(body: Buffer): string | null {
  const nul = body.indexOf(0);
  const text = (nul === -1 ? body : body.subarray(0, nul)).toString('utf8');
  return text === '' ? null : text;
}

/** Node's transport errors, in curl_easy_strerror's words. */
function curlMessage(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return "Couldn't connect to server";
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return "Couldn't resolve host name";
    case 'ECONNRESET':
      return error.message.includes('socket hang up')
        ? 'Server returned nothing (no headers, no data)'
        : 'Failure when receiving data from the peer';
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
      return 'Weird server reply';
    default:
      return error.message;
  }
}

function failure(errorMsg: string, timedOut = false): RecordedResponse {
  return { statusCode: null, contentType: null, headers: null, content: null, timedOut, errorMsg };
}
