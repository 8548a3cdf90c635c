import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';

const WAIT = { timeout: 20_000 };

// Issue 22: the console's node list filters by label selector, as the CLI does.
describe('console node list filters by label (Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    await stack.enroll('lyon-gw', await stack.enrollToken({ autoApprove: true }), { services: { webui: '127.0.0.1:9' } });
    await stack.admin(['node', 'label', stack.nodeName, 'site=paris', 'tier=prod']);
    await stack.admin(['node', 'label', 'lyon-gw', 'site=lyon', 'tier=prod']);
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const shown = async () => (await page.locator('tbody tr[data-node]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')))).sort();

  it('shows labels and narrows the list to the nodes a selector matches', async () => {
    await page.locator(`tr[data-node="${stack.nodeName}"]`, { hasText: 'site=paris' }).waitFor(WAIT);
    assert.deepEqual(await shown(), ['appliance-1', 'lyon-gw']);
    const box = page.getByLabel('Labels');
    await box.fill('site=lyon');
    await page.locator(`tr[data-node="${stack.nodeName}"]`).waitFor({ state: 'detached', ...WAIT });
    assert.deepEqual(await shown(), ['lyon-gw']);
    await box.fill('tier=prod,site!=lyon');
    await page.locator('tr[data-node="lyon-gw"]').waitFor({ state: 'detached', ...WAIT });
    assert.deepEqual(await shown(), ['appliance-1']);
  });

  it('says what is wrong with a selector it cannot read', async () => {
    await page.getByLabel('Labels').fill('site');
    await page.getByRole('alert').filter({ hasText: 'not key=value or key!=value' }).waitFor(WAIT);
    await page.getByLabel('Labels').fill('');
    await page.locator('tr[data-node="lyon-gw"]').waitFor(WAIT);
  });
});
