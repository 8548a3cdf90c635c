import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';

const WAIT = { timeout: 20_000 };

// The server ends a console's live event stream, with the reason, the moment the user's
// authority ends (issue 19). The console must act on it at once: show the sign-in page and
// say why, not sit on a page whose data silently stops changing until the next click.
describe('console: the end of its live updates', () => {
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

  it('goes to the sign-in page and says why when an administrator disables the signed-in user', async () => {
    const email = 'watcher@example.com';
    const password = 'a watcher passphrase 42';
    const user = await stack.api<{ id: string }>('POST', '/v1/users', { email, role: 'viewer', group: 'root', password });
    await page.goto(stack.url + '/');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
    await page.getByText('Live', { exact: true }).waitFor(WAIT);
    await stack.api('POST', `/v1/users/${user.id}/disable`);
    // No click, no reload: the stream's end alone brings the sign-in page, with the reason.
    await page.getByText('Connection closed: your account was disabled.').waitFor(WAIT);
    await page.getByLabel('Email').waitFor(WAIT);
  });
});
