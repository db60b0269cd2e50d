// The React example (examples/react) in a real Chromium, served at an origin of its own and
// calling the API across it (CORS), against the real stack as `npm start` runs it: email
// confirmation on, deliveries on. Then Swagger UI, used as a person would. Screenshots of both
// go to .data/screenshots, or with UPDATE_SCREENSHOTS=1 to docs/images, which the README shows
// (a run does not rewrite tracked files unless asked).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DevicesService } from '../src/devices/devices.service.js';
import { hasText, launchChromium, section, servedExample, watchedPage } from './support/browser.js';
import { root } from './support/compiled.js';
import { newWebhookSecret } from './support/deliveries.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const images = join(root, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/images' : '.data/screenshots');
const secret = newWebhookSecret();
let stack: TestStack;
let browser: Browser;
let app: { url: string; close(): Promise<void> };

beforeAll(async () => {
  stack = await startTestStack({ auth: { autoconfirm: false }, env: { SUPABASE_WEBHOOK_SECRET: secret } });
  stack.auth.deliveries.configure({ url: `${stack.url}/webhooks/supabase`, form: 'signed', secret, backoffMs: 10 });
  app = await servedExample(stack.url, stack.auth.url);
  browser = await launchChromium();
  await mkdir(images, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await stack?.close();
});

/** The link of the newest email of this kind to `to`, as the local mailbox holds it. */
function mailedLink(to: string, kind: 'signup' | 'recovery'): string {
  const message = stack.auth.mailbox.list(to).find((mail) => mail.kind === kind);
  if (!message) throw new Error(`no ${kind} email to ${to}`);
  return message.link;
}

describe('the React example in Chromium, at another origin', () => {
  it('signs up, confirms, syncs, edits, onboards, signs out, resets a forgotten password, and deletes the account: no console error, no failed request', async () => {
    const { page, problems } = await watchedPage(browser);
    const email = `browser-${randomUUID().slice(0, 8)}@example.com`;
    await page.goto(app.url);

    const signup = section(page, 'Sign up');
    await signup.getByLabel('Email').fill(email);
    await signup.getByLabel('Password').fill('Correct-Horse-42');
    await signup.getByLabel('Display name').fill('Ada Example');
    await signup.getByRole('button', { name: 'Sign up' }).click();
    await hasText(signup.getByRole('status'), 'Check your email: the confirmation link signs you in.');

    // The confirmation link, from the local mailbox: it lands back on the app, signed in.
    await page.goto(mailedLink(email, 'signup'));
    await hasText(page.getByTestId('email'), email);
    await hasText(page.getByTestId('display-name'), 'Ada Example');

    const profile = section(page, 'Your profile');
    await profile.getByLabel('Display name').fill('Ada Lovelace');
    await profile.getByRole('button', { name: 'Save' }).click();
    await hasText(page.getByTestId('display-name'), 'Ada Lovelace');

    const onboarding = section(page, 'Onboarding');
    await onboarding.getByLabel('Industry').fill('Mathematics');
    await onboarding.getByLabel('Job title').fill('Analyst');
    await onboarding.getByLabel('Email me news').check();
    await onboarding.getByRole('button', { name: 'Finish onboarding' }).click();
    await hasText(page.getByTestId('onboarded'), 'yes (Mathematics, Analyst)');
    await page.screenshot({ path: join(images, 'example-app.png') });

    // An admin changed the user's claims (a tier, a role): the app's token is stale now, and its next call refreshes and retries.
    const userId = (await stack.db.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id as string;
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    expect(await stack.app.get(DevicesService).forceRefresh(userId)).toBe(true);
    const earlier = problems.length;
    await profile.getByLabel('Display name').fill('Ada King');
    await profile.getByRole('button', { name: 'Save' }).click();
    await hasText(page.getByTestId('display-name'), 'Ada King');
    // The one 401 (token_stale) that Chromium logs for the call before its retry, and nothing else.
    expect(problems.splice(earlier)).toEqual([
      'console: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    const forgot = section(page, 'Forgot your password?');
    await forgot.getByLabel('Email').fill(email);
    await forgot.getByRole('button', { name: 'Send a reset link' }).click();
    await hasText(forgot.getByRole('status'), 'If this address has an account, a reset link is on its way.');
    await page.goto(mailedLink(email, 'recovery'));
    const newPassword = section(page, 'Set a new password');
    await newPassword.getByLabel('New password').fill('Brand-New-Horse-7');
    await newPassword.getByRole('button', { name: 'Set password' }).click();
    await newPassword.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Sign out' }).click();

    const signin = section(page, 'Sign in');
    await signin.getByLabel('Email').fill(email);
    await signin.getByLabel('Password').fill('Brand-New-Horse-7');
    await signin.getByRole('button', { name: 'Sign in' }).click();
    await hasText(page.getByTestId('email'), email);

    const id = (await stack.db.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id as string;
    await section(page, 'Delete my account').getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Sign up' }).waitFor();
    expect((await stack.db.query('SELECT deleted_at IS NOT NULL AS gone FROM users WHERE id = $1', [id])).rows[0].gone).toBe(true);
    expect(stack.auth.admin.getUser(id)).toBeNull();

    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('Swagger UI in Chromium', () => {
  it('authorizes with a real token and executes sync, /users/me, signup and logout from the page', async () => {
    const email = `swagger-${randomUUID().slice(0, 8)}@example.com`;
    await stack.admin.auth.admin.createUser({ email, password: 'Correct-Horse-42', email_confirm: true });
    const token = (await stack.request('POST', '/auth/login', { body: { email, password: 'Correct-Horse-42' } })).body.session
      .accessToken as string;
    const { page } = await watchedPage(browser);
    await page.goto(`${stack.url}/docs`);

    await page.locator('.btn.authorize').first().click();
    // The user's bearer scheme (the other one is the metrics token's).
    const bearer = page.locator('.modal-ux form').filter({ hasText: 'bearer (http, Bearer)' });
    await bearer.locator('input[type=text]').fill(token);
    await bearer.locator('.auth-btn-wrapper .authorize').click();
    await page.locator('.modal-ux .btn-done').first().click();

    const execute = async (operation: string, body?: unknown): Promise<string> => {
      const block = page.locator(`#operations-${operation}`);
      await block.locator('.opblock-summary').first().click();
      await block.locator('.try-out__btn').click();
      if (body !== undefined) await block.locator('textarea.body-param__text').fill(JSON.stringify(body));
      await block.locator('.execute').click();
      const status = block.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor();
      return (await status.textContent())?.trim() ?? '';
    };
    expect(await execute('auth-AuthController_sync')).toBe('200');
    expect(await execute('users-UsersController_me')).toBe('200');
    await page.screenshot({ path: join(images, 'swagger.png') });
    expect(
      await execute('auth-AuthController_signup', {
        email: `swagger-new-${randomUUID().slice(0, 8)}@example.com`,
        password: 'Correct-Horse-42',
      }),
    ).toBe('201');
    expect(await execute('auth-AuthController_logout', { scope: 'global' })).toBe('204');
    await page.close();
  }, 120_000);
});
