import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { burrowJson, burrowOk, runBurrow } from './harness/burrowCli.js';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ADMIN } from './harness/serverStack.js';
import { ShellStack } from './harness/shellStack.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';
import { startWebUi, type WebUi } from './harness/webUi.js';

const WAIT = { timeout: 30_000 };

describe('the console shows "waiting for approval on site" until a person there approves (real server, agent, CLI and Chromium)', () => {
  let stack: ShellStack;
  let webui: WebUi;
  let browser: TestBrowser;
  let second: TestBrowser | undefined;
  let page: Page;
  let context: BrowserContext;
  let home: string;
  let nodeId: string;

  before(async () => {
    stack = await ShellStack.start();
    webui = await startWebUi();
    const node = await stack.enroll('site', await stack.enrollToken({ autoApprove: true }), { services: { webui: `127.0.0.1:${webui.port}` } });
    home = node.home;
    nodeId = node.id;
    await burrowOk(['node', 'approval', 'on', '--timeout', '2m', '--home', home]);
    stack.runAgent(node);
    await stack.waitOnline(node.id, true, 30_000);
    browser = await launchChromium();
    ({ page, context } = browser);
    await page.goto(stack.url + '/');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    // The CLI login of the stack spent the current step; the server also takes the next one.
    await page.getByLabel('Authenticator code').fill(await totpCode(stack.totpSecret, 30));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
  });

  after(async () => {
    await second?.close();
    await browser?.close();
    await stack?.close();
    await webui?.close();
  });

  /** Approves the one request of `kind` once it waits on site. */
  const approveOnSite = async (kind: string) => {
    const w = await waitFor(`a ${kind} request waiting on site`, async () => {
      const list = await burrowJson<{ id: string; kind: string }[]>(['node', 'approvals', '--home', home]);
      return list.find((r) => r.kind === kind);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await burrowOk(['node', 'approve', w.id, '--reason', 'expected visit', '--home', home]);
  };

  it('shows the WebUI session waiting, then opens it once approved on site', async () => {
    await page.goto(`${stack.url}/#/nodes/${nodeId}`);
    await page.locator('[data-fact="approval"]', { hasText: 'required' }).waitFor(WAIT);
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open WebUI' }).click()]);
    const waiting = page.getByText(/waiting for approval on site/i);
    await waiting.waitFor(WAIT);
    await approveOnSite('session');
    await tab.getByText('WebUI of the e2e node').waitFor(WAIT);
    await tab.close();
    assert.equal(await page.getByText(/waiting for approval on site/i).count(), 0);
  });

  it('shows the terminal waiting, then connects once approved on site', async () => {
    await page.goto(`${stack.url}/#/nodes/${nodeId}/terminal`);
    await page.getByText(/waiting for approval on site/i).waitFor(WAIT);
    await approveOnSite('shell');
    await page.getByText('Connected').waitFor(WAIT);
  });

  it('withdraws the request on site when the terminal page is left while it waits', async () => {
    // From the node's page: the terminal of the test before is still open on this one.
    await page.goto(`${stack.url}/#/nodes/${nodeId}`);
    await page.locator('[data-fact="approval"]', { hasText: 'required' }).waitFor(WAIT);
    await page.goto(`${stack.url}/#/nodes/${nodeId}/terminal`);
    await page.getByText(/waiting for approval on site/i).waitFor(WAIT);
    const w = await waitFor('the shell request waiting on site', async () => (await burrowJson<{ id: string; kind: string }[]>(['node', 'approvals', '--home', home])).find((r) => r.kind === 'shell'), { timeoutMs: 30_000, intervalMs: 200 });
    await page.goto(`${stack.url}/#/nodes/${nodeId}`);
    await waitFor('the request to be withdrawn on site', async () => !(await burrowJson<{ id: string }[]>(['node', 'approvals', '--home', home])).some((r) => r.id === w.id), { timeoutMs: 15_000, intervalMs: 200 });
  });

  /** A second administrator, authenticator enrolled, signed in to the console in a Chromium of its own. */
  async function secondAdminConsole(): Promise<Page> {
    const email = 'second-admin@example.com';
    const password = 'a fine long passphrase 9';
    const pw = join(stack.dir, 'second-admin.pw');
    await writeFile(pw, password, { mode: 0o600 });
    await stack.admin(['users', 'create', email, '--role', 'admin', '--group', 'root', '--password-file', pw]);
    const cliHome = join(stack.dir, 'home-second-admin');
    const as = (args: string[]) => runBurrow([...args, '--home', cliHome]);
    assert.equal((await as(['admin', 'login', '--server', stack.url, '--email', email, '--password-file', pw, '--fingerprint', stack.pin, '--no-totp'])).code, 0);
    const { secret } = JSON.parse((await as(['admin', 'totp', 'setup', '--json'])).stdout) as { secret: string };
    const confirmed = await as(['admin', 'totp', 'confirm', await totpCode(secret)]);
    assert.equal(confirmed.code, 0, confirmed.stderr);
    second = await launchChromium();
    const p = second.page;
    await p.goto(stack.url + '/');
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Continue' }).click();
    // Confirming the authenticator spent the current step; the server also takes the next one.
    await p.getByLabel('Authenticator code').fill(await totpCode(secret, 30));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
    return p;
  }

  it("shows another admin's console the job waiting for approval on the node's page, live, and takes it away once the job is cancelled", async () => {
    const other = await secondAdminConsole();
    await other.goto(`${stack.url}/#/nodes/${nodeId}`);
    await other.locator('[data-fact="approval"]', { hasText: 'required' }).waitFor(WAIT);
    const run = await stack.cli(['admin', 'job', 'run', '--node', 'site', '--json', '--', 'echo', 'seen-by-all']);
    assert.equal(run.code, 0, run.stderr);
    const queued = JSON.parse(run.stdout) as { id: string };
    // The page was loaded before the request: it appears without a reload.
    const item = other.locator('[data-approval]', { hasText: 'run: echo seen-by-all' });
    await item.waitFor(WAIT);
    assert.match(await item.innerText(), new RegExp(ADMIN.email.replace(/[.]/g, '\\.')));
    // The job's page says what the node waits for, not "running".
    await page.goto(`${stack.url}/#/jobs/${queued.id}`);
    await page.locator('[data-status="waiting-approval"]', { hasText: /waiting for approval on site since/ }).waitFor(WAIT);
    assert.equal((await stack.cli(['admin', 'job', 'cancel', queued.id])).code, 0);
    await item.waitFor({ state: 'detached', ...WAIT });
    await page.locator('[data-status="cancelled"]').waitFor(WAIT);
  });
});
