import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { runBurrow } from './harness/burrowCli.js';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { ADMIN } from './harness/serverStack.js';

const WAIT = { timeout: 30_000 };

// Issue 22: the console lists terminal recordings by node, user and time, and opens their replay.
describe('console recordings list (real server, agent, CLI and Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    await stack.startNode();
    const ran = await runBurrow(['ssh', stack.nodeName, '--', 'echo', 'recorded-for-replay'], { env: { BURROW_HOME: stack.adminHome }, input: '', timeoutMs: 0 });
    assert.equal(ran.code, 0, ran.stderr);
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const rows = () => page.getByRole('table', { name: 'Recordings' }).locator('tbody tr');

  it('lists the recording with its node and user, and filters by node, user and time', async () => {
    await page.getByRole('link', { name: 'Recordings', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Recordings' }).waitFor(WAIT);
    await rows().first().waitFor(WAIT);
    assert.equal(await rows().count(), 1);
    const cells = (await rows().first().locator('td').allTextContents()).map((t) => t.trim());
    assert.deepEqual([cells[1], cells[2]], [stack.nodeName, ADMIN.email]);

    const filter = async (label: string, value: string) => {
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByLabel(label).fill(value);
      await page.getByRole('button', { name: 'Filter' }).click();
    };
    await filter('User (email)', 'nobody@e2e.test');
    await page.getByText('No recording matches.').waitFor(WAIT);
    await filter('User (email)', ADMIN.email);
    await rows().first().waitFor(WAIT);
    await filter('Since', '2999-01-01T00:00');
    await page.getByText('No recording matches.').waitFor(WAIT);
    await filter('Node', stack.nodeName);
    await rows().first().waitFor(WAIT);
  });

  it('opens the replay of a recording', async () => {
    await rows().first().getByRole('link', { name: /^Replay the session on / }).click();
    await page.getByRole('heading', { level: 1, name: /^Replay of / }).waitFor(WAIT);
    await page.waitForFunction(() => (document.querySelector('.xterm-rows')?.textContent ?? '').includes('recorded-for-replay'), undefined, WAIT);
  });
});
