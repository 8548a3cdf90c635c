import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import type { NodeView } from '../src/shared/protocol.js';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';

const WAIT = { timeout: 30_000 };

// Issue 22: bulk actions on the console's node list: label, move and run a job on ticked nodes.
describe('console bulk actions on nodes (real server, agent and Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    await stack.enroll('lyon-gw', await stack.enrollToken({ autoApprove: true }), { services: { webui: '127.0.0.1:9' } });
    await stack.enroll('spare-gw', await stack.enrollToken({ autoApprove: true }), { services: { webui: '127.0.0.1:9' } });
    await stack.api('POST', '/v1/groups', { name: 'paris', parent: 'root' });
    await stack.startNode();
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const outcomes = async () => (await page.locator('.bulk-outcomes li').allTextContents()).map((t) => t.trim()).sort();
  const nodeByName = async (name: string) => (await stack.api<NodeView[]>('GET', '/v1/nodes')).find((n) => n.name === name);
  const apply = async (action: string, fill: (form: Locator) => Promise<unknown>) => {
    const form = page.getByRole('form', { name: /^Act on the 2 nodes selected$/ });
    await form.getByLabel(/^Action/).selectOption(action);
    await fill(form);
    await form.getByRole('button', { name: 'Apply' }).click();
  };

  it('labels the ticked nodes and shows each node\'s outcome', async () => {
    await page.getByRole('checkbox', { name: `Select ${stack.nodeName}` }).check();
    await page.getByRole('checkbox', { name: 'Select lyon-gw' }).check();
    await apply('label', (form) => form.getByLabel(/^Label \(key=value\)/).fill('site=paris'));
    await page.locator('.bulk-outcomes li', { hasText: 'lyon-gw: labelled site=paris' }).waitFor(WAIT);
    assert.deepEqual(await outcomes(), [`${stack.nodeName}: labelled site=paris`, 'lyon-gw: labelled site=paris']);
    await page.locator('tr[data-node="lyon-gw"] .label-chip', { hasText: 'site=paris' }).waitFor(WAIT);
    assert.deepEqual((await nodeByName('spare-gw'))?.labels ?? {}, {}, 'an unticked node is left alone');
  });

  it('moves the ticked nodes to another group', async () => {
    await apply('move', (form) => form.getByLabel(/^Group/).selectOption({ label: 'root/paris' }));
    await page.locator('.bulk-outcomes li', { hasText: 'lyon-gw: moved to root/paris' }).waitFor(WAIT);
    await page.locator('tr[data-node="lyon-gw"] td', { hasText: 'root/paris' }).waitFor(WAIT);
    const paris = (await stack.api<{ id: string; path: string }[]>('GET', '/v1/groups')).find((g) => g.path === 'root/paris');
    assert.equal((await nodeByName('lyon-gw'))?.group, paris?.id);
    assert.equal((await nodeByName(stack.nodeName))?.group, paris?.id);
  });

  it('runs one job on the ticked nodes and follows it to the node that is online', async () => {
    await apply('job', (form) => form.getByLabel(/^Command/).fill('echo bulk-job-ran'));
    await page.locator('.bulk-outcomes li', { hasText: 'lyon-gw: job queued' }).waitFor(WAIT);
    await page.getByRole('link', { name: /^Follow job job_/ }).click();
    await page.locator(`tr[data-node="${stack.nodeName}"] [data-status="ok"]`).waitFor(WAIT);
    await page.locator('tr[data-node="lyon-gw"] [data-status="pending"]').waitFor(WAIT);
    assert.match((await page.locator(`tr[data-node="${stack.nodeName}"] pre[data-stream="stdout"]`).textContent()) ?? '', /bulk-job-ran/);
  });
});
