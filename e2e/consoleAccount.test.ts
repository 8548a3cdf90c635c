import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { ADMIN } from './harness/serverStack.js';
import { totpCode, waitForNextTotpStep } from './harness/totp.js';

const WAIT = { timeout: 20_000 };
const OWN = 'a brand new passphrase 77';

// Issue 22: a signed-in user changes their own password on the account page, with the
// current password and an authenticator code; their other sign-ins end, this one stays.
// An administrator resets passwords and deletes users on the users page.
describe('console: changing one\'s own password', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    browser = await launchChromium();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signInApi = (password: string) =>
    requestJson(new URL('/v1/auth/login', stack.url).toString(), { method: 'POST', pin: stack.pin, timeoutMs: 5_000, body: { email: ADMIN.email, password } }).then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? 'error',
    );

  it('makes a user choose a new password at the sign-in after an administrator reset it', async () => {
    const email = 'forgetful@example.com';
    await stack.api('POST', '/v1/users', { email, role: 'viewer', group: 'root', password: 'the old passphrase 123' });
    const { temporaryPassword } = await stack.api<{ temporaryPassword: string }>('POST', `/v1/users/${encodeURIComponent(email)}/reset-password`);
    await page.goto(stack.url + '/');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(temporaryPassword);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('New password', { exact: true }).fill(OWN);
    await page.getByLabel('New password again').fill(OWN);
    await page.getByRole('button', { name: 'Change password and sign in' }).click();
    await page.locator('a[href="#/account"]', { hasText: email }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor(WAIT);
  });

  it('lets an administrator reset a password and delete a user from the users page', async () => {
    const email = 'leaver@example.com';
    await stack.api('POST', '/v1/users', { email, role: 'viewer', group: 'root', password: 'the old passphrase 123' });
    await signInAsAdmin(page, stack.url, stack.totpSecret);
    await page.locator('a[href="#/users"]').first().click();
    const row = page.locator('tr', { hasText: email });
    await row.getByRole('button', { name: 'Reset password' }).click();
    await row.getByRole('button', { name: 'Yes, reset password' }).click();
    const temporary = (await page.getByTestId('secret').textContent({ timeout: WAIT.timeout }))?.trim() ?? '';
    assert.match(temporary, /^[\w-]{16,}$/);
    await page.getByRole('button', { name: 'Done' }).click();
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await row.waitFor({ state: 'detached', ...WAIT });
    const audit = await stack.api<{ action: string; target: string }[]>('GET', '/v1/audit?action=user.delete');
    assert.equal(audit[0]?.target, email);
  });

  it('asks for the password and a code, changes it, and keeps this sign-in only', async () => {
    await page.locator('a[href="#/account"]').click();
    const form = page.getByRole('form', { name: 'Change your password' });
    await form.waitFor(WAIT);
    await form.getByLabel('Current password').fill(ADMIN.password);
    await form.getByLabel('Authenticator code').fill('000000');
    await form.getByLabel('New password', { exact: true }).fill(OWN);
    await form.getByLabel('New password again').fill(OWN);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('alert').filter({ hasText: /code is wrong/ }).waitFor(WAIT);
    // The step after the one the sign-in spent (a code is accepted once, one step either side).
    await form.getByLabel('Authenticator code').fill(await totpCode(stack.totpSecret, 30));
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByText(/Password changed/).waitFor(WAIT);

    await page.locator('a[href="#/nodes"]').first().click();
    await page.getByText(stack.nodeName).first().waitFor(WAIT);
    await assert.rejects(stack.api('GET', '/v1/nodes'), 'the admin CLI sign-in ended with the change');
    assert.equal(await signInApi(ADMIN.password), 'LOGIN_FAILED', 'the old password is gone');
    assert.equal(await signInApi(OWN), 'TOTP_INVALID', 'the new one passes; the code is still asked for');

    // The email, with the password and a code again (a fresh step: each code works once).
    await page.locator('a[href="#/account"]').click();
    const emailForm = page.getByRole('form', { name: 'Change your email' });
    await emailForm.getByLabel('New email').fill('chief@e2e.test');
    await emailForm.getByLabel('Current password').fill(OWN);
    await waitForNextTotpStep();
    await emailForm.getByLabel('Authenticator code').fill(await totpCode(stack.totpSecret, 30));
    await emailForm.getByRole('button', { name: 'Change email' }).click();
    await page.locator('a[href="#/account"]', { hasText: 'chief@e2e.test' }).waitFor(WAIT);
  });
});
