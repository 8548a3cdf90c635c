import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { ADMIN, type NodeHandle } from './harness/serverStack.js';

const WAIT = { timeout: 20_000 };

// Issue 17, item 10: the console names groups and people where it showed ids (grp_…, usr_…).
describe('console names groups and people (Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;
  let node: NodeHandle;

  before(async () => {
    stack = await ConsoleStack.start();
    await stack.admin(['groups', 'create', 'acme']);
    const token = (await stack.adminJson<{ token: string }>(['enroll-token', 'create', '--group', 'acme'])).token;
    node = await stack.enroll('acme-gw', token, { services: { webui: '127.0.0.1:9' } });
    await stack.admin(['enroll-token', 'create', '--group', 'acme']);
    await stack.admin(['tokens', 'create', 'ci', '--scope', 'read', '--group', 'acme']);
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("shows a node's group by its path on the node page", async () => {
    await page.goto(`${stack.url}/#/nodes/${node.id}`);
    await page.getByRole('heading', { level: 1, name: /acme-gw/ }).waitFor(WAIT);
    const group = page.locator('dt:text-is("Group") + dd');
    await page.waitForFunction(() => document.querySelector('dt + dd') !== null);
    await group.filter({ hasText: 'root/acme' }).waitFor(WAIT);
    assert.doesNotMatch((await group.textContent()) ?? '', /grp_/);
  });

  it('shows token groups by path on the enrollment and API token pages', async () => {
    await page.locator('nav a[href="#/enroll-tokens"]').click();
    await page.getByRole('heading', { level: 1, name: 'Enrollment tokens' }).waitFor(WAIT);
    await page.locator('tr[data-token] td', { hasText: 'root/acme' }).first().waitFor(WAIT);
    assert.doesNotMatch(await page.locator('main').innerText(), /grp_/);
    await page.locator('nav a[href="#/tokens"]').click();
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor(WAIT);
    await page.getByText('read on root/acme').waitFor(WAIT);
    assert.doesNotMatch(await page.locator('main').innerText(), /grp_/);
  });

  it('shows audit actors by email', async () => {
    await page.locator('nav a[href="#/audit"]').click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor(WAIT);
    await page.locator('tr[data-action="group.create"] td', { hasText: ADMIN.email }).waitFor(WAIT);
    const actors = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
    assert.ok(actors.length > 0);
    assert.deepEqual(actors.filter((a) => a.startsWith('usr_')), []);
  });
});
