import { Injectable, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';

/**
 * The page runs only what this server sends: no inline script or style, no other origin, no framing, and no native form
 * submission (a sign-in form that submitted without its script would put the password in a URL).
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The folder holding this project's package.json, whether running from src/ (tests) or dist/src/ (npm start, start:prod). */
function packageRoot(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'authmirror') return dir;
    if (dirname(dir) === dir) throw new Error(`no authmirror package.json above ${import.meta.dirname}`);
  }
}

function asset(path: string): Asset {
  const body = readFileSync(path);
  return { body, type: TYPES[extname(path)], etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * The operator page's files, read once at start-up into memory: the page, its scripts and styles from
 * src/admin-page/static (tsc copies no such files, so they are read from the source tree for both `npm start` and
 * `start:prod`), and uPlot from node_modules. Only these names are served: a request names a key, never a path.
 */
@Injectable()
export class AdminPageAssets {
  private readonly page: Asset;
  private readonly assets = new Map<string, Asset>();

  constructor() {
    const dir = join(packageRoot(), 'src', 'admin-page', 'static');
    for (const name of readdirSync(dir)) {
      if (TYPES[extname(name)] && name !== 'index.html') this.assets.set(name, asset(join(dir, name)));
    }
    this.page = asset(join(dir, 'index.html'));
    const require = createRequire(import.meta.url);
    this.assets.set('uplot.esm.js', asset(require.resolve('uplot/dist/uPlot.esm.js')));
    this.assets.set('uplot.min.css', asset(require.resolve('uplot/dist/uPlot.min.css')));
  }

  sendPage(request: FastifyRequest, reply: FastifyReply): Buffer | undefined {
    return this.send(this.page, request, reply);
  }

  sendAsset(name: string, request: FastifyRequest, reply: FastifyReply): Buffer | undefined {
    const found = this.assets.get(name);
    if (!found) throw new NotFoundException('The operator page has no such file');
    return this.send(found, request, reply);
  }

  /** Revalidated on each load (`no-cache`), so a new version is seen at once; an unchanged file is a 304. */
  private send(found: Asset, request: FastifyRequest, reply: FastifyReply): Buffer | undefined {
    void reply
      .header('content-type', found.type)
      .header('content-security-policy', ADMIN_PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-cache')
      .header('etag', found.etag);
    if (request.headers['if-none-match'] === found.etag) {
      void reply.status(304);
      return undefined;
    }
    return found.body;
  }
}
