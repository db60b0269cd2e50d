// The example's hook (examples/react/src/useAuthmirror.ts) in Chromium, in the orders that break
// naive hooks: a sync answer that arrives after its user signed out and another signed in, and a
// device clock an hour ahead (every token looks expiring).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { hasText, launchChromium, section, servedExample, watchedPage } from './support/browser.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

let stack: TestStack;
let browser: Browser;
let app: { url: string; close(): Promise<void> };

beforeAll(async () => {
  stack = await startTestStack();
  app = await servedExample(stack.url, stack.auth.url);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await stack?.close();
});

async function confirmedUser(): Promise<{ id: string; email: string }> {
  const email = `hook-${randomUUID().slice(0, 8)}@example.com`;
  const { data, error } = await stack.admin.auth.admin.createUser({ email, password: 'Correct-Horse-42', email_confirm: true });
  if (error) throw error;
  return { id: data.user.id, email };
}

async function signIn(page: Page, email: string): Promise<void> {
  const form = section(page, 'Sign in');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill('Correct-Horse-42');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** The user a bearer token belongs to (its `sub`). */
function subjectOf(authorization: string | undefined): string {
  const payload = (authorization ?? '').replace(/^Bearer /, '').split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8') || '{}') as { sub?: string }).sub ?? '';
}

describe("the example's hook", () => {
  it.each([
    ['the next user’s sync fails', true],
    ['the next user’s sync succeeds first', false],
  ])(
    'drops a sync answer that arrives after its user signed out and another signed in (%s)',
    async (_, nextFails) => {
      const [first, next] = [await confirmedUser(), await confirmedUser()];
      const { page } = await watchedPage(browser);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let failNext = nextFails;
      await page.route('**/auth/users/sync', async (route) => {
        const subject = subjectOf(route.request().headers()['authorization']);
        if (subject === first.id) {
          await held;
          return route.continue();
        }
        if (failNext) {
          const body = { statusCode: 503, code: 'database_unavailable', message: 'The database is unavailable', requestId: 'test' };
          return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify(body) });
        }
        return route.continue();
      });
      await page.goto(app.url);

      await signIn(page, first.email);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await section(page, 'Sign in').waitFor();
      await signIn(page, next.email);
      if (nextFails) await hasText(page.getByRole('alert').locator('code'), 'database_unavailable');
      else await hasText(page.getByTestId('email'), next.email);

      const lateAnswer = page.waitForResponse((response) => subjectOf(response.request().headers()['authorization']) === first.id);
      release();
      await lateAnswer;
      await new Promise((resolve) => setTimeout(resolve, 300)); // time for a wrong render to land
      const shown = (await page.getByTestId('email').count()) > 0 ? await page.getByTestId('email').textContent() : null;
      expect(shown).not.toBe(first.email);

      failNext = false;
      if (nextFails) await page.getByRole('button', { name: 'Try again' }).click();
      await hasText(page.getByTestId('email'), next.email);
      await page.close();
    },
    60_000,
  );

  it('syncs once and refreshes at most once when the device clock is an hour ahead', async () => {
    const user = await confirmedUser();
    const { page } = await watchedPage(browser);
    // The token lives an hour; by this clock, it has 20 s left when it arrives.
    await page.clock.install({ time: new Date(Date.now() + 3580_000) });
    let refreshes = 0;
    let syncs = 0;
    page.on('request', (request) => {
      if (request.url().includes('grant_type=refresh_token')) refreshes++;
      if (request.url().endsWith('/auth/users/sync')) syncs++;
    });
    await page.goto(app.url);
    await signIn(page, user.email);
    await hasText(page.getByTestId('email'), user.email);
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(3); // ours once; supabase-js's own timer may add its own
    await hasText(page.getByTestId('email'), user.email);
    await page.close();
  }, 60_000);
});
