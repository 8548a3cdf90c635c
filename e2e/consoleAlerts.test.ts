import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { AlertMessage } from '../src/shared/alerts.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { waitFor } from './harness/waitFor.js';

const WAIT = { timeout: 20_000 };

// Issue 22: the console's alerts page adds a webhook channel, sends a test through it,
// shows the delivery log, and adds and removes a rule.
describe('console alerts page (Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;
  const received: AlertMessage[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as AlertMessage);
      res.writeHead(204).end();
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    stack = await ConsoleStack.start({ serverConfig: { alertPrivateTargets: true } });
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('adds a webhook channel and sends a test alert through it, logged as delivered', async () => {
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor(WAIT);
    await page.getByLabel('Channel name').fill('ops-hook');
    await page.getByLabel('Webhook URL').fill(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    await page.getByLabel('Signing secret').fill('a-console-webhook-secret');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const row = page.locator('tr[data-channel="ops-hook"]');
    await row.waitFor(WAIT);
    assert.doesNotMatch(await page.locator('main').innerText(), /a-console-webhook-secret/, 'the secret is not shown back');
    await row.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test alert delivered through ops-hook.').waitFor(WAIT);
    await waitFor('the test alert at the receiver', () => received.length === 1);
    assert.equal(received[0]?.event, 'test');
    await page.locator('table[aria-label="Alert deliveries"] tr', { hasText: 'Test alert for channel ops-hook' }).getByText('delivered').waitFor(WAIT);
  });

  it('adds a rule that notifies the channel, and removes it', async () => {
    await page.getByLabel('Rule name').fill('gateway offline');
    await page.getByLabel('Offline for longer than (minutes)').fill('10');
    await page.locator('form[aria-label="Add a rule"]').getByLabel('ops-hook').check();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const row = page.locator('tr[data-rule="gateway offline"]');
    await row.getByText('afterSeconds=600').waitFor(WAIT);
    await row.getByText('ops-hook').waitFor(WAIT);
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: 'Yes, remove' }).click();
    await row.waitFor({ state: 'detached', ...WAIT });
  });
});
