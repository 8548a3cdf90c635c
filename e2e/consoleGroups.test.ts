import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';

const WAIT = { timeout: 30_000 };

interface Group {
  id: string;
  path: string;
}

// Issue 22: the console's group tree: create, rename and move groups; grant and revoke roles.
describe('console group tree (real server and Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    await stack.api('POST', '/v1/users', { email: 'ops@e2e.test', role: 'viewer', group: 'root' });
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor(WAIT);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const groups = () => stack.api<Group[]>('GET', '/v1/groups');
  const open = async (path: string) => {
    const name = path.split('/').pop() as string;
    await page.locator(`li[data-group="${path}"] > a`, { hasText: name }).click();
    await page.getByRole('heading', { level: 2, name: path }).waitFor(WAIT);
  };
  const createUnder = async (parent: string, name: string) => {
    await open(parent);
    await page.getByLabel('Subgroup name').fill(name);
    await page.getByRole('button', { name: 'Create subgroup' }).click();
    await page.locator(`li[data-group="${parent}/${name}"]`).waitFor(WAIT);
  };

  it('creates groups in the tree', async () => {
    await createUnder('root', 'acme');
    await createUnder('root', 'site1');
    const paths = (await groups()).map((g) => g.path);
    assert.ok(paths.includes('root/acme') && paths.includes('root/site1'), paths.join(', '));
  });

  it('renames a group and moves it under another', async () => {
    await open('root/site1');
    await page.getByLabel('New name').fill('lyon');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.locator('li[data-group="root/lyon"]').waitFor(WAIT);
    await open('root/lyon');
    await page.getByLabel(/^Move under/).selectOption({ label: 'root/acme' });
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.locator('li[data-group="root/acme"] li[data-group="root/acme/lyon"]').waitFor(WAIT);
    assert.ok((await groups()).some((g) => g.path === 'root/acme/lyon'));
    const audit = await stack.api<{ action: string }[]>('GET', '/v1/audit?limit=20');
    assert.ok(audit.some((e) => e.action === 'group.rename') && audit.some((e) => e.action === 'group.move'));
  });

  it('grants a role on a group to a user and revokes it', async () => {
    await open('root/acme');
    const members = page.getByRole('table', { name: 'Members of root/acme' });
    await page.getByText('Nobody holds a role on this group itself').waitFor(WAIT);
    await page.getByLabel(/^User/).selectOption({ label: 'ops@e2e.test' });
    await page.getByLabel(/^Role/).selectOption('operator');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await members.locator('tr[data-member="ops@e2e.test"]', { hasText: 'operator' }).waitFor(WAIT);
    await members.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByText('Nobody holds a role on this group itself').waitFor(WAIT);
  });

  it('names the moved group by its path in the audit log, not by its id', async () => {
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const object = page.locator('tr[data-action="group.move"] td.object');
    await object.waitFor(WAIT);
    assert.match((await object.textContent()) ?? '', /root\/acme\/lyon/);
    assert.doesNotMatch((await object.textContent()) ?? '', /grp_/);
  });
});
