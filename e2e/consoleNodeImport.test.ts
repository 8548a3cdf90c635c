import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import type { NodeView } from '../src/shared/protocol.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';

const WAIT = { timeout: 20_000 };
const HEADER = 'name,group,services,mode,labels';
const csvFile = (name: string, ...lines: string[]) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(`${[HEADER, ...lines].join('\n')}\n`) });

// Issue 22: the console's import page: upload a file, see the bad lines or the created
// nodes, download their tokens; the node list exports the fleet as CSV.
describe('console node import (Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    await stack.admin(['groups', 'create', 'site-a']);
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows every bad line of a file and creates nothing', async () => {
    await page.getByRole('link', { name: 'Import nodes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Import nodes' }).waitFor(WAIT);
    await page.getByLabel('CSV file').setInputFiles(csvFile('bad.csv', 'gw-1,/site-a,web=127.0.0.1:80,,', 'gw-2,/nowhere,,,', 'gw-3,/site-a,,sometimes,'));
    await page.getByRole('status').filter({ hasText: '1 of 3 lines can be imported; 2 are bad.' }).waitFor(WAIT);
    const bad = page.getByRole('table', { name: 'Bad lines' });
    assert.match(await bad.locator('tr[data-line="3"]').innerText(), /unknown group \/nowhere/);
    assert.match(await bad.locator('tr[data-line="4"]').innerText(), /bad mode "sometimes"/);
    assert.equal(await page.getByRole('button', { name: 'Create 1 nodes' }).isDisabled(), true);
    const names = (await stack.api<NodeView[]>('GET', '/v1/nodes')).map((n) => n.name);
    assert.deepEqual(names, [stack.nodeName]);
  });

  it('creates the nodes of a good file and offers their tokens as a CSV download', async () => {
    await page.getByLabel('CSV file').setInputFiles(csvFile('good.csv', 'gw-1,/site-a,web=127.0.0.1:80,,site=paris', 'gw-2,/,,,'));
    await page.getByRole('status').filter({ hasText: '2 of 2 lines can be imported.' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Create 2 nodes' }).click();
    await page.getByRole('status').filter({ hasText: 'Created 2 nodes; their tokens expire' }).waitFor(WAIT);
    const created = page.getByRole('table', { name: 'Created nodes' });
    assert.match(await created.locator('tr[data-node="gw-1"]').innerText(), /burrow node enroll https:\/\/\S+ --token bre_\S+ --name gw-1/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download tokens CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'burrow-tokens.csv');
    const rows = parse(await readFile((await download.path()) ?? ''), { columns: true }) as { name: string; token: string; enroll_command: string }[];
    assert.deepEqual(rows.map((r) => r.name), ['gw-1', 'gw-2']);
    assert.match(rows[0]?.enroll_command ?? '', /--token bre_\S+ --name gw-1$/);
    const listed = await stack.api<NodeView[]>('GET', '/v1/nodes');
    assert.deepEqual(listed.filter((n) => n.awaitingEnrollment).map((n) => n.name).sort(), ['gw-1', 'gw-2']);
  });

  it('exports the node list as CSV from the nodes page', async () => {
    await page.getByRole('link', { name: 'Nodes', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
    await page.locator('tr[data-node="gw-1"]', { hasText: 'awaiting enrollment' }).waitFor(WAIT);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'burrow-nodes.csv');
    const rows = parse(await readFile((await download.path()) ?? ''), { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((r) => [r.name, r.group, r.status]).sort(), [[stack.nodeName, '/', 'approved'], ['gw-1', '/site-a', 'awaiting-enrollment'], ['gw-2', '/', 'awaiting-enrollment']]);
  });
});
