import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { ConsoleStack } from './harness/consoleStack.js';

const WAIT = { timeout: 20_000 };
const EMAIL = 'newcomer@example.com';
const OWN = 'a passphrase of my own 42';

// Issue 19, item 10: a temporary password is replaced at the first sign-in, in the console.
describe('console sign-in with a temporary password', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;
  let temporary = '';

  before(async () => {
    stack = await ConsoleStack.start();
    temporary = (await stack.api<{ temporaryPassword: string }>('POST', '/v1/users', { email: EMAIL, role: 'viewer', group: 'root' })).temporaryPassword;
    browser = await launchChromium();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signInApi = (password: string) =>
    requestJson<{ token: string }>(new URL('/v1/auth/login', stack.url).toString(), { method: 'POST', pin: stack.pin, timeoutMs: 5_000, body: { email: EMAIL, password } }).then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? 'error',
    );

  it('asks for a new password after the temporary one, then signs in with it', async () => {
    await page.goto(stack.url + '/');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(temporary);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('New password', { exact: true }).waitFor(WAIT);
    await page.getByLabel('New password', { exact: true }).fill(OWN);
    await page.getByLabel('New password again').fill(`${OWN}x`);
    await page.getByRole('button', { name: 'Change password and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /differ/ }).waitFor(WAIT);
    await page.getByLabel('New password again').fill(OWN);
    await page.getByRole('button', { name: 'Change password and sign in' }).click();
    await page.locator('a[href="#/account"]', { hasText: EMAIL }).waitFor(WAIT);
    assert.equal(await signInApi(OWN), 'ok', 'the new password is the account\'s now');
    assert.equal(await signInApi(temporary), 'LOGIN_FAILED', 'the temporary one is gone');
  });
});
