// The operator page (GET /admin) in a real Chromium, against the real stack: an admin signs in
// through its form and uses only the admin JSON API, as a person would. Users come from the
// stand-in (signed up through supabase-js, or bulk-inserted over the last weeks and mirrored by a
// reconcile, so the charts have days to show). Screenshots go to .data/screenshots, or with
// UPDATE_SCREENSHOTS=1 to docs/images, which the README shows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PAGE_CSP } from '../src/admin-page/admin-page-assets.js';
import { DevicesService } from '../src/devices/devices.service.js';
import { ReconcileService } from '../src/reconcile/reconcile.service.js';
import { UserCleanerRegistry } from '../src/users/user-cleaners.js';
import { UsersService } from '../src/users/users.service.js';
import { hasText, launchChromium, watchedPage } from './support/browser.js';
import { root } from './support/compiled.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const images = join(root, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/images' : '.data/screenshots');
const DOMAIN = 'acme-page.test';
// Characters a checkmail-valid address may hold that markup would read as an entity or a quote.
const XSS_EMAIL = `o'neil&ltb&gt{x}@xss-page.test`;
const XSS_NAME = '<img src=x onerror="window.__pwned=1">Mallory';
const XSS_AGENT = '<script>window.__pwned=2</script> Evil/1.0';
const DAY = 86_400_000;

let stack: TestStack;
let browser: Browser;
let admin: { id: string; email: string; password: string; accessToken: string };
let crmUp = false;
const seeded: Record<string, string> = {};

beforeAll(async () => {
  stack = await startTestStack();
  stack.app.get(UserCleanerRegistry).register({
    name: 'crm',
    maxAttempts: 1,
    clean: async () => {
      if (!crmUp) throw new Error('the CRM answered 503');
    },
  });
  admin = await stack.signedInAdmin();
  for (const name of ['ada', 'bob', 'cy']) {
    const user = await stack.signedInUser({ email: `${name}@${DOMAIN}`, data: { display_name: `${name.toUpperCase()} Example` } });
    await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    seeded[name] = user.id;
    if (name !== 'cy') {
      const onboarding = { industry: 'Software', jobTitle: 'Engineer', emailConsent: true };
      expect((await stack.request('POST', '/profiles/me/onboarding', { token: user.accessToken, body: onboarding })).status).toBe(200);
    }
  }
  const mallory = await stack.signedInUser({ email: XSS_EMAIL, data: { display_name: XSS_NAME } });
  await stack.request('POST', '/auth/users/sync', { token: mallory.accessToken, headers: { 'user-agent': XSS_AGENT } });
  seeded.mallory = mallory.id;
  await seedSignupHistory();
  browser = await launchChromium();
  await mkdir(images, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * Signups on each of the last 27 days (1 to 9 a day, growing), a third of them signed in since, mirrored by a reconcile
 * as users made before the service ran would be; two of them deleted today.
 */
async function seedSignupHistory(): Promise<void> {
  const now = Date.now();
  const days = Array.from({ length: 27 }, (_, i) => i + 1).flatMap((daysAgo) =>
    Array<number>(Math.round(3 + 2 * Math.sin(daysAgo / 2) + (27 - daysAgo) / 6)).fill(daysAgo),
  );
  stack.auth.admin.bulkInsert(days.length, (i) => {
    const createdAt = new Date(now - days[i] * DAY - (i % 7) * 3_600_000).toISOString();
    return {
      created_at: createdAt,
      updated_at: createdAt,
      last_sign_in_at: i % 3 === 0 ? new Date(now - (i % 10) * DAY).toISOString() : null,
      raw_user_meta_data: { display_name: `Bulk ${i}` },
    };
  });
  await stack.app.get(ReconcileService).run();
  const { rows } = await stack.db.query<{ id: string }>(`SELECT id FROM users WHERE email LIKE 'bulk-%' ORDER BY email LIMIT 2`);
  for (const { id } of rows) await stack.app.get(UsersService).deleteUser(id, { source: 'admin' });
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${stack.url}/admin`);
  const form = page.locator('#sign-in');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** The signed-in admin's page, on the users view with its first search done. */
async function adminPage(): Promise<{ page: Page; problems: string[] }> {
  const watched = await watchedPage(browser);
  await watched.page.setViewportSize({ width: 1280, height: 860 });
  await signIn(watched.page, admin.email, admin.password);
  await hasText(watched.page.getByTestId('signed-in-as'), admin.email);
  await watched.page.locator('#user-results tbody tr').first().waitFor();
  return watched;
}

const resultEmails = (page: Page) => page.locator('#user-results tbody tr td:first-child').allTextContents();

describe('GET /admin', () => {
  it('serves the page and its files from this server with a strict Content-Security-Policy, outside Swagger', async () => {
    const page = await fetch(`${stack.url}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(ADMIN_PAGE_CSP);
    expect(ADMIN_PAGE_CSP).toContain("script-src 'self'");
    expect(ADMIN_PAGE_CSP).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/); // no inline style or handler

    const uplot = await fetch(`${stack.url}/admin/assets/uplot.esm.js`);
    expect([uplot.status, uplot.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await uplot.text()).toBe(await readFile(join(root, 'node_modules/uplot/dist/uPlot.esm.js'), 'utf8'));
    const again = await fetch(`${stack.url}/admin/assets/uplot.esm.js`, { headers: { 'if-none-match': uplot.headers.get('etag')! } });
    expect(again.status).toBe(304);

    for (const path of ['/admin/assets/nope.js', '/admin/assets/..%2F..%2Fpackage.json', '/admin/assets/index.html']) {
      const missing = await stack.request('GET', path);
      expect([path, missing.status, missing.body.code]).toEqual([path, 404, 'not_found']);
    }
    const paths = Object.keys((await stack.request('GET', '/docs-json')).body.paths);
    expect(paths.filter((path) => path === '/admin' || path.startsWith('/admin/assets'))).toEqual([]);
  });
});

describe('the operator page in Chromium', () => {
  it('tells a signed-in non-admin that only admins may use it, and keeps no session', async () => {
    const { page, problems } = await watchedPage(browser);
    const user = await stack.signedInUser();
    await signIn(page, user.email, 'correct horse battery');
    await hasText(
      page.locator('#sign-in-message'),
      'Signed in, but this account is not an admin: only users whose app_metadata.roles contains "admin" may use this page.',
    );
    expect(await page.locator('#users').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // Chromium logs the one 403 (forbidden) of the probe, and nothing else.
    expect(problems).toEqual(['console: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
    await page.close();
  });

  it('searches with filters, pages by cursor, downloads the CSV, shows hostile text as text, and opens a timeline', async () => {
    const { page, problems } = await adminPage();
    await page.screenshot({ path: join(images, 'admin-users.png') });
    const filters = page.locator('#user-filters');
    await filters.getByLabel('Email domain').fill(DOMAIN);
    await filters.getByLabel('Sort').selectOption('email');
    await filters.getByLabel('Per page').fill('2');
    await filters.getByRole('button', { name: 'Search' }).click();
    await hasText(page.getByTestId('users-page'), 'Page 1 · 2 users');
    expect(await resultEmails(page)).toEqual([`ada@${DOMAIN}`, `bob@${DOMAIN}`]);
    await page.getByRole('button', { name: 'Next page' }).click();
    await hasText(page.getByTestId('users-page'), 'Page 2 · 1 user');
    expect(await resultEmails(page)).toEqual([`cy@${DOMAIN}`]);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await hasText(page.getByTestId('users-page'), 'Page 1 · 2 users');

    // A refused query says why, and the next one clears it.
    await filters.getByLabel('Phone').fill('12');
    await filters.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').filter({ hasText: '(validation_failed, request ' }).waitFor();
    expect(problems.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await filters.getByLabel('Phone').fill('');
    await filters.getByLabel('Onboarded').selectOption('false');
    await filters.getByRole('button', { name: 'Search' }).click();
    await hasText(page.getByTestId('users-page'), 'Page 1 · 1 user');
    expect(await page.getByRole('alert').textContent()).toBe('');
    expect(await resultEmails(page)).toEqual([`cy@${DOMAIN}`]);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv).toContain(`cy@${DOMAIN}`);
    expect(csv).not.toContain(`ada@${DOMAIN}`);

    // An attacker's email, display name and browser: the characters they are made of, never markup.
    await filters.getByLabel('Email domain').fill('xss-page.test');
    await filters.getByLabel('Onboarded').selectOption('');
    await filters.getByRole('button', { name: 'Search' }).click();
    await hasText(page.locator('#user-results tbody tr td').first(), XSS_EMAIL);
    expect(await page.locator('#user-results tbody tr td').nth(1).textContent()).toBe(XSS_NAME);
    expect(await page.locator('#user-results img, #user-results script').count()).toBe(0);

    await page.getByRole('link', { name: XSS_EMAIL }).click();
    await hasText(page.locator('#user-title'), XSS_EMAIL);
    await hasText(page.locator('#user-devices tbody td').nth(1), XSS_AGENT);
    expect(await page.locator('#user img, #user script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();

    // A timeline: the sync that mirrored the user is on it, with its source.
    await page.goto(`${stack.url}/admin#user/${seeded.ada}`);
    await hasText(page.locator('#user-title'), `ada@${DOMAIN}`);
    const synced = page.locator('#user-timeline li[data-type="user.synced"]');
    await synced.first().waitFor();
    expect(await synced.first().locator('strong').textContent()).toBe('Synced');
    await page.screenshot({ path: join(images, 'admin-timeline.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows signups per day as a chart with its numbers, the onboarding funnel, active users and providers', async () => {
    const { page, problems } = await adminPage();
    await page.getByRole('link', { name: 'Figures' }).click();
    const chart = page.locator('#signups-chart canvas');
    await chart.waitFor();
    await page.locator('#funnel .step').first().waitFor();

    // The page's range (the last 30 days, today included), asked of the API directly.
    const to = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    const from = new Date(Date.now() - 29 * DAY).toISOString().slice(0, 10);
    const stats = (
      await stack.request('GET', `/admin/stats?from=${from}T00:00:00Z&to=${to}T00:00:00Z&bucket=day`, { token: admin.accessToken })
    ).body;
    expect(stats.onboarding.signedUp).toBeGreaterThanOrEqual(140);
    expect(stats.onboarding.onboarded).toBeGreaterThanOrEqual(2);
    const funnel = await page.locator('#funnel .step .count').allTextContents();
    const share = (count: number) => Math.round((count / stats.onboarding.signedUp) * 100);
    expect(funnel).toEqual([
      String(stats.onboarding.signedUp),
      `${stats.onboarding.synced} (${share(stats.onboarding.synced)}%)`,
      `${stats.onboarding.onboarded} (${share(stats.onboarding.onboarded)}%)`,
    ]);
    const shown = await page
      .locator('#signups-numbers tbody tr')
      .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
    type Bucket = { bucket: string; count: number };
    const day = (row: Bucket) => row.bucket.slice(0, 10);
    const deletions = new Map((stats.deletions as Bucket[]).map((row) => [day(row), row.count]));
    expect(shown).toEqual((stats.signups as Bucket[]).map((row) => [day(row), String(row.count), String(deletions.get(day(row)))]));
    expect(shown.filter(([, signups]) => signups !== '0').length).toBeGreaterThanOrEqual(27);
    expect(Number(shown.at(-1)![2])).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#active dd').allTextContents()).toEqual(
      [stats.active.lastDay, stats.active.last7Days, stats.active.last30Days].map(String),
    );
    expect(await page.locator('#providers dt').first().textContent()).toBe('email');

    // Drawn: the signups' blue covers part of the canvas.
    const blue = await chart.first().evaluate((canvas: any) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let pixels = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 0x25 && data[i + 1] === 0x63 && data[i + 2] === 0xeb) pixels++;
      return pixels;
    });
    expect(blue).toBeGreaterThan(500);
    await page.screenshot({ path: join(images, 'admin-figures.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('lists a dead job with its error and retries it; the deleted user keeps a timeline', async () => {
    const user = await stack.signedInUser();
    await stack.request('POST', '/auth/users/sync', { token: user.accessToken });
    await stack.app.get(UsersService).deleteUser(user.id, { source: 'admin' });
    const jobId = await eventually(
      async () =>
        (
          await stack.db.query(
            `SELECT id::text FROM graphile_worker._private_jobs WHERE payload->>'userId' = $1 AND attempts >= max_attempts`,
            [user.id],
          )
        ).rows[0]?.id as string | undefined,
      Boolean,
    );

    const { page, problems } = await adminPage();
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const row = page.locator(`#job-list tr[data-job-id="${jobId}"]`);
    await row.waitFor();
    expect(await row.locator('td.error').textContent()).toContain('the CRM answered 503');
    expect(await row.locator('td').nth(3).textContent()).toBe('1 of 1');
    await page.screenshot({ path: join(images, 'admin-jobs.png') });

    crmUp = true;
    await row.getByRole('button', { name: 'Retry' }).click();
    await hasText(row.locator('.done'), 'Queued again');
    await eventually(
      async () => (await stack.db.query('SELECT 1 FROM graphile_worker._private_jobs WHERE id = $1', [jobId])).rowCount,
      (rows) => rows === 0,
    );
    await page.locator('#job-filter').getByRole('button', { name: 'Show' }).click();
    await row.waitFor({ state: 'detached' });

    await page.goto(`${stack.url}/admin#user/${user.id}`);
    await page.locator('#user-timeline li[data-type="user.deleted"]').waitFor();
    expect(await page.locator('#user-title').textContent()).toBe(user.id);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('refreshes a stale token and retries, then signs out and forgets the session', async () => {
    const { page, problems } = await adminPage();
    const before = await page.evaluate(() => sessionStorage.getItem('authmirror.admin.session'));
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    expect(await stack.app.get(DevicesService).forceRefresh(admin.id)).toBe(true);
    await page.locator('#user-filters').getByLabel('Email domain').fill(DOMAIN);
    await page.locator('#user-filters').getByRole('button', { name: 'Search' }).click();
    await hasText(page.getByTestId('users-page'), 'Page 1 · 3 users');
    expect(await page.evaluate(() => sessionStorage.getItem('authmirror.admin.session'))).not.toBe(before);
    // The one 401 (token_stale) that Chromium logs for the call before its retry, and nothing else.
    expect(problems).toEqual(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);

    const token = JSON.parse((await page.evaluate(() => sessionStorage.getItem('authmirror.admin.session')))!).accessToken;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await hasText(page.locator('#sign-in-message'), 'Signed out.');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect((await stack.request('GET', '/admin/jobs?state=dead', { token })).body.code).toBe('session_revoked');
    await page.close();
  }, 60_000);
});
