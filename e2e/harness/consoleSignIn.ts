import type { Page } from 'playwright-core';
import { ADMIN } from './serverStack.js';
import { totpCode } from './totp.js';

/**
 * Signs the stack's first admin in on the console at `url`, as a person would, and waits for
 * the nodes page. `stepOffsetSeconds` (30) takes the next TOTP step, for when a CLI sign-in
 * of the same account just spent the current one (a code is accepted once).
 */
export async function signInAsAdmin(page: Page, url: string, totpSecret: string, stepOffsetSeconds = 0): Promise<void> {
  await page.goto(url + '/');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Authenticator code').fill(await totpCode(totpSecret, stepOffsetSeconds));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor({ timeout: 20_000 });
}
