import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import ssh2 from 'ssh2';
import { runBurrow } from './harness/burrowCli.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { repoRoot } from './harness/paths.js';
import { ADMIN } from './harness/serverStack.js';
import { totpCode as totp } from './harness/totp.js';

const SHOTS = join(repoRoot, 'e2e', 'screenshots');

/** Runs SQL on the server's database through the real sqlite3 shell; one string per output row. */
function sqlite(db: string, sql: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('sqlite3', [db, sql], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`sqlite3: ${stderr || err.message}`)) : resolve(stdout.split('\n').filter(Boolean))));
  });
}
const WAIT = { timeout: 20_000 };

describe('web terminal and replay in Chromium', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let nodeId = '';
  const problems: string[] = [];
  const scripts: string[] = [];

  before(async () => {
    stack = await ConsoleStack.start();
    await mkdir(SHOTS, { recursive: true });
    browser = await launchChromium({ viewport: { width: 1280, height: 800 } });
    context = browser.context;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    page = browser.page;
    // Every CSP violation (an inline <style> or style="" from xterm) lands here as an error.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource|WebSocket connection to/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
    await stack.startNode();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const terminal = () => page.getByTestId('terminal');
  const screenText = async (testId: string) => ((await page.getByTestId(testId).locator('.xterm-rows').textContent()) ?? '').replace(/\u00a0/g, ' ');
  const waitForScreen = (testId: string, pattern: RegExp) =>
    page.waitForFunction(
      ([id, source]) => new RegExp(source as string).test((document.querySelector(`[data-testid="${id}"] .xterm-rows`)?.textContent ?? '').replace(/\u00a0/g, ' ')),
      [testId, pattern.source],
      WAIT,
    );
  const run = async (line: string) => {
    await terminal().locator('.xterm-helper-textarea').focus();
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
  };

  it('signs the admin in', async () => {
    await page.goto(stack.url + '/');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Authenticator code').fill(await totp(stack.totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`tr[data-node="${stack.nodeName}"] .badge-online`).waitFor(WAIT);
    assert.deepEqual(scripts.filter((s) => s.includes('/chunk-')), [], 'xterm.js is not loaded before a terminal opens');
  });

  it('opens a terminal on the node and runs a command in its shell', async () => {
    await page.locator(`tr[data-node="${stack.nodeName}"]`).getByRole('link', { name: stack.nodeName }).click();
    await page.getByRole('link', { name: 'Terminal' }).click();
    await page.getByRole('heading', { level: 1, name: `Terminal on ${stack.nodeName}` }).waitFor(WAIT);
    nodeId = decodeURIComponent(/#\/nodes\/([^/]+)\/terminal/.exec(page.url())?.[1] ?? '');
    assert.ok(scripts.some((s) => /^\/assets\/chunk-\w+\.js$/.test(s)), `the terminal page loads xterm.js on demand (scripts: ${scripts.join(', ')})`);
    await page.getByText(/^Connected/).waitFor(WAIT);
    // Type at the prompt, not ahead of it, so the screenshot reads like a session.
    await waitForScreen('terminal', /\S/);
    await run('echo burrow-$((6*7))');
    await waitForScreen('terminal', /burrow-42/);
    // The typed line holds the expression; only the shell's answer holds the number.
    assert.match(await screenText('terminal'), /echo burrow-\$\(\(6\*7\)\)/);
    await shot('terminal');
  });

  it('tells the remote terminal its size when the window changes', async () => {
    await run('echo size=$(stty size)');
    await waitForScreen('terminal', /size=\d+ \d+/);
    const before = await page.getByTestId('terminal').locator('.xterm-rows > div').count();
    await page.setViewportSize({ width: 900, height: 560 });
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div').length !== n, before, WAIT);
    const rows = await page.getByTestId('terminal').locator('.xterm-rows > div').count();
    await run('clear; echo size=$(stty size)');
    await waitForScreen('terminal', new RegExp(`size=${rows} \\d+`));
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('copies the selection and pastes with the terminal shortcuts', async () => {
    await run('clear; echo copy-me-$((40+2))');
    await waitForScreen('terminal', /copy-me-42/);
    const word = terminal().locator('.xterm-rows span', { hasText: 'copy-me-42' }).last();
    // xterm's screen layer takes the mouse; a double click there selects the word under it.
    await word.dblclick({ force: true });
    await page.keyboard.press('Control+Shift+C');
    await page.waitForFunction(async () => (await navigator.clipboard.readText()).includes('copy-me-42'), undefined, WAIT);
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((5*5))'));
    await terminal().locator('.xterm-helper-textarea').focus();
    await page.keyboard.press('Control+Shift+V');
    await page.keyboard.press('Enter');
    await waitForScreen('terminal', /pasted-25/);
  });

  it('ends with the shell and says so', async () => {
    await run('exit');
    await page.getByText(/The shell ended \(exit code 0\)/).waitFor(WAIT);
    await page.getByRole('button', { name: 'Start a new shell' }).waitFor(WAIT);
  });

  it('replays the recorded session from the audit log', async () => {
    await page.locator('nav a[href="#/audit"]').click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor(WAIT);
    const row = page.locator('tr[data-action="shell.close"]').first();
    await row.waitFor(WAIT);
    await row.getByRole('link', { name: 'Replay' }).click();
    await page.getByRole('heading', { level: 1, name: /^Replay of / }).waitFor(WAIT);
    await waitForScreen('replay', /burrow-42/);
    await page.getByText(/^Finished/).waitFor(WAIT);
    assert.match(await screenText('replay'), /pasted-25/);
    await shot('replay');
    await page.getByRole('button', { name: 'Play again' }).click();
    await page.getByRole('button', { name: 'Skip to end' }).click();
    await page.getByText(/^Finished/).waitFor(WAIT);
    await waitForScreen('replay', /pasted-25/);
  });

  it("says truthfully when the node's shell refuses the server, not that a role is missing", async () => {
    // The server now holds another key for the node than the one its shell presents, as
    // when a rotation went wrong: the inner SSH handshake fails on the node's host key.
    const db = join(stack.serverHome, 'burrow.db');
    const [realKey] = await sqlite(db, `SELECT public_key FROM nodes WHERE id = '${nodeId}';`);
    const other = ssh2.utils.generateKeyPairSync('ed25519').public.trim();
    await sqlite(db, `UPDATE nodes SET public_key = '${other}' WHERE id = '${nodeId}';`);
    try {
      await page.goto(`${stack.url}/#/nodes/${encodeURIComponent(nodeId)}/terminal`);
      const alert = page.getByRole('alert').filter({ hasText: /did not accept the server/ });
      await alert.waitFor(WAIT);
      assert.doesNotMatch((await alert.textContent()) ?? '', /operator role/);
      await shot('terminal-refused');
      // `burrow ssh` says the same, in one sentence, with the error's exit status.
      const cli = await runBurrow(['ssh', stack.nodeName, '--', 'true'], { env: { BURROW_HOME: stack.adminHome }, input: '' });
      assert.equal(cli.code, 5, cli.stderr);
      assert.match(cli.stderr, /^burrow: The shell of node \S+ did not accept the server: Host denied \(verification failed\)\.\n$/);
    } finally {
      await sqlite(db, `UPDATE nodes SET public_key = '${realKey ?? ''}' WHERE id = '${nodeId}';`);
    }
  });

  it('says in words why a terminal cannot open on an offline node', async () => {
    await stack.stopNode();
    await page.goto(`${stack.url}/#/nodes`);
    await page.locator(`tr[data-node="${stack.nodeName}"] .badge-offline`).waitFor(WAIT);
    await page.goto(`${stack.url}/#/nodes/${encodeURIComponent(nodeId)}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(stack.nodeName) }).waitFor(WAIT);
    assert.equal(await page.getByRole('link', { name: 'Terminal' }).count(), 0, 'no terminal button for an offline node');
    await page.goto(`${stack.url}/#/nodes/${encodeURIComponent(nodeId)}/terminal`);
    await page.getByRole('alert').filter({ hasText: /is offline, so its shell cannot be reached/ }).waitFor(WAIT);
    await shot('terminal-offline');
    assert.deepEqual(problems, [], 'no script errors or CSP violations in the page');
  });
});
