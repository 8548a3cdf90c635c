import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { ADMIN } from './harness/serverStack.js';

const WAIT = { timeout: 30_000 };

// Issue 22: the console's jobs page creates a job, follows each node's progress and cancels.
describe('console jobs page (real server, agents and Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    stack = await ConsoleStack.start();
    // A second node that stays offline: a job for it waits, so it can be cancelled.
    await stack.enroll('parked-gw', await stack.enrollToken({ autoApprove: true }), { services: { webui: '127.0.0.1:9' } });
    await stack.startNode();
    browser = await launchChromium();
    page = browser.page;
    await signInAsAdmin(page, stack.url, stack.totpSecret);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const queueCommand = async (command: string, node: string) => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs and updates' }).waitFor(WAIT);
    const form = page.getByRole('form', { name: 'Create a job' });
    await form.getByLabel(/^Kind/).selectOption('command');
    await form.getByLabel(/^Command/).fill(command);
    await form.getByLabel(/^Target/).selectOption('node');
    await form.getByLabel(/^Node/).selectOption({ label: node });
    await form.getByRole('button', { name: 'Queue the job' }).click();
    await page.getByRole('heading', { level: 1, name: /^Job job_/ }).waitFor(WAIT);
  };

  it('creates a command job and shows it finish on the node, with its output', async () => {
    await queueCommand('echo hello-from-the-console-job', stack.nodeName);
    const row = page.locator(`tr[data-node="${stack.nodeName}"]`);
    await row.locator('[data-status="ok"]').waitFor(WAIT);
    assert.match((await row.locator('pre[data-stream="stdout"]').textContent()) ?? '', /hello-from-the-console-job/);
    assert.equal((await row.locator('td').nth(2).textContent())?.trim(), '0', 'exit code');
    await page.getByText('Finished on every node.').waitFor(WAIT);
  });

  it('cancels a job that has not reached its node, and lists both jobs with creator and statuses', async () => {
    await queueCommand('echo never', 'parked-gw');
    const row = page.locator('tr[data-node="parked-gw"]');
    await row.locator('[data-status="pending"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('button', { name: 'Yes, cancel job' }).click();
    await row.locator('[data-status="cancelled"]').waitFor(WAIT);

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const jobs = page.getByRole('table', { name: 'Jobs' });
    await jobs.locator('li[data-node="parked-gw"] [data-status="cancelled"]').waitFor(WAIT);
    await jobs.locator(`li[data-node="${stack.nodeName}"] [data-status="ok"]`).waitFor(WAIT);
    const creators = await jobs.locator('tbody tr td:nth-child(4)').allTextContents();
    assert.deepEqual(creators, [ADMIN.email, ADMIN.email]);
  });
});
