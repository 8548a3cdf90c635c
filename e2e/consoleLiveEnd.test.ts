import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ConsoleStack } from './harness/consoleStack.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = { timeout: 20_000 };

// The server ends a console's live event stream, with the reason, the moment the user's
// authority ends (issue 19). The console must act on it at once: show the sign-in page and
// say why, not sit on a page whose data silently stops changing until the next click.
describe('console: the end of its live updates', () => {
  let stack: ConsoleStack;
  let profile: string;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    profile = await mkdtemp(join(tmpdir(), 'burrow-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS, ignoreHTTPSErrors: true });
    page = context.pages()[0] ?? (await context.newPage());
  });
  after(async () => {
    await context?.close();
    await stack?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
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
