// A real browser for the tests: Debian's Chromium driven by playwright-core (which downloads
// nothing), and a static server for a built app at an origin of its own.
import { expect } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { root } from './compiled.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium with the flags this machine's closed network needs; fails loudly when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `dir` on 127.0.0.1 (unknown paths get index.html, as a single-page app expects). */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = normalize(decodeURIComponent((request.url ?? '/').split('?')[0])).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    readFile(file)
      .catch(() => readFile(join(dir, 'index.html')))
      .then(
        (body) => {
          response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? TYPES['.html'] });
          response.end(body);
        },
        () => {
          response.writeHead(404);
          response.end();
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The React example built as a user would build it for this API and Supabase (Vite inlines
 * VITE_* at build time), served at an origin of its own.
 */
export async function servedExample(apiUrl: string, supabaseUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const buildDir = await mkdtemp(join(tmpdir(), 'authmirror-example-'));
  await promisify(execFile)(
    'npm',
    ['--prefix', 'examples/react', 'run', 'build', '--', '--outDir', buildDir, '--emptyOutDir', '--bypass-lock'],
    {
      cwd: root,
      env: { ...process.env, VITE_API_URL: apiUrl, VITE_SUPABASE_URL: supabaseUrl },
    },
  );
  const served = await serveStatic(buildDir);
  return {
    url: served.url,
    close: async () => {
      await served.close();
      await rm(buildDir, { recursive: true, force: true });
    },
  };
}

/** A page that records every console error and every request that failed outright. */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  return { page, problems };
}

/** Waits until the element shows exactly `expected` (a failing sync or save shows its error instead). */
export async function hasText(locator: Locator, expected: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let seen: string | null = null;
  while (Date.now() < deadline) {
    seen = (await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '').trim() : null;
    if (seen === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(seen).toBe(expected);
}

/** The example's section under the heading `name`. */
export function section(page: Page, name: string): Locator {
  return page.locator('section', { has: page.getByRole('heading', { name }) });
}
