import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import type { NodeStatusView, SessionView } from '../src/shared/protocol.js';
import { runBurrow } from './harness/burrowCli.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { repoRoot } from './harness/paths.js';
import { ADMIN } from './harness/serverStack.js';
import { totpCode as totp } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

const SHOTS = join(repoRoot, 'e2e', 'screenshots');
const WAIT = { timeout: 20_000 };

describe('a node page with real health, and internal services refused (real server, agent, CLI and Chromium)', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let page: Page;
  let nodeId = '';
  const problems: string[] = [];
  // A directory the node's operator allowed file pulls from.
  const pullDir = join(tmpdir(), `burrow-e2e-pull-${process.pid}`);

  before(async () => {
    // Reports every second, so a few arrive while the test waits.
    await mkdir(pullDir, { recursive: true });
    await writeFile(join(pullDir, 'app.log'), 'pulled through the console\n');
    stack = await ConsoleStack.start({ nodeConfig: { statusIntervalMs: 1000, files: { allow: [pullDir], maxBytes: 1024 * 1024, bundleLogs: [join(pullDir, 'app.log')] } } });
    nodeId = stack.nodes[0]?.id ?? '';
    await stack.startNode();
    await mkdir(SHOTS, { recursive: true });
    browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(stack.url + '/');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Authenticator code').fill(await totp(stack.totpSecret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await rm(pullDir, { recursive: true, force: true });
  });

  it("shows the node's latest load, memory, disk, uptime, agent version and service reachability, and a chart of its history", async () => {
    const status = () => stack.api<NodeStatusView>('GET', `/v1/nodes/${nodeId}/status?limit=100`);
    await waitFor('three status reports from the node', async () => (await status()).history.length >= 3, { timeoutMs: 30_000 });
    await page.goto(`${stack.url}/#/nodes/${nodeId}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(stack.nodeName) }).waitFor(WAIT);
    const fact = (name: string) => page.locator(`dd[data-fact="${name}"]`).first();
    await fact('load').waitFor(WAIT);
    const reports = (await status()).history;
    const latest = reports[0];
    assert.ok(latest?.disk, 'the node reports its disk');

    const load = (await fact('load').textContent()) ?? '';
    assert.match(load, /^\d+\.\d\d · \d+\.\d\d · \d+\.\d\d$/);
    assert.ok(reports.some((r) => r.load.map((x) => x.toFixed(2)).join(' · ') === load), `load ${load} is one the node reported`);
    assert.match((await fact('memory').textContent()) ?? '', /^[\d.]+ (B|KiB|MiB|GiB|TiB) of [\d.]+ (KiB|MiB|GiB|TiB) used \(\d{1,3}%\)$/);
    assert.match((await fact('disk').textContent()) ?? '', new RegExp(`used \\(\\d{1,3}%\\) on ${latest.disk.path.replace(/[/.]/g, '\\$&')}$`));
    assert.match((await fact('uptime').textContent()) ?? '', /^\d+ (s|min|h \d+ min|d \d+ h)$/);
    assert.equal(await fact('agentVersion').textContent(), latest.agentVersion);
    assert.equal(latest.services.webui?.reachable, true);
    assert.equal(await page.locator('li[data-service="webui"] .badge').textContent(), 'reachable');

    const chart = page.locator('figure.history');
    for (const [series, label] of [['load', 'Load \\(1 min\\)'], ['memory', 'Memory used'], ['disk', 'Disk used']]) {
      const svg = chart.locator(`tr[data-series="${series}"] svg[role="img"]`);
      assert.match((await svg.getAttribute('aria-label')) ?? '', new RegExp(`^${label}: \\d+ reports, from .+ to .+, latest .+$`));
      assert.equal(await svg.locator('polyline').count(), 1, `${series} is drawn as a line`);
    }
    assert.match((await chart.locator('figcaption').textContent()) ?? '', /^\d+ reports from .+ to .+\.$/);
    await page.screenshot({ path: join(SHOTS, 'node-health.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script errors or CSP violations in the page');
  });

  it('offers the WebUI and the Terminal, but no session on its shell or jobs service', async () => {
    await page.getByRole('button', { name: 'Open WebUI' }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Terminal' }).waitFor(WAIT);
    assert.equal(await page.getByRole('button', { name: /^Open (shell|jobs)$/ }).count(), 0);
    assert.deepEqual(await page.locator('ul.services li code').allTextContents(), ['webui']);
  });

  it('downloads a file the operator allowed, and a support bundle, from the node page', async () => {
    await page.goto(`${stack.url}/#/nodes/${nodeId}`);
    await page.getByRole('heading', { level: 2, name: 'Files' }).waitFor(WAIT);
    await page.getByLabel(/Path on/).fill(join(pullDir, 'app.log'));
    const [file] = await Promise.all([page.waitForEvent('download', WAIT), page.getByRole('link', { name: 'Download file' }).click()]);
    assert.equal(file.suggestedFilename(), 'app.log');
    assert.equal(await readFile(await file.path(), 'utf8'), 'pulled through the console\n');
    const [bundle] = await Promise.all([page.waitForEvent('download', WAIT), page.getByRole('link', { name: 'Download support bundle' }).click()]);
    assert.match(bundle.suggestedFilename(), new RegExp(`^${stack.nodeName}-bundle-.*\\.tar\\.gz$`));
    const gz = await readFile(await bundle.path());
    assert.deepEqual([...gz.subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
  });

  it('refuses `session open --service jobs` and `--service shell --type tcp` with one sentence that says what to use', async () => {
    const open = (args: string[]) => runBurrow(['admin', 'session', 'open', stack.nodeName, ...args, '--home', stack.adminHome]);
    const jobs = await open(['--service', 'jobs']);
    assert.equal(jobs.code, 2, jobs.stderr);
    assert.equal(jobs.stdout, '');
    assert.match(jobs.stderr, /^burrow: "jobs" is burrow's own service .* not a session target: use "burrow admin job run --node appliance-1 -- COMMAND" \(or job push, job update\)\.\n$/);
    const shell = await open(['--service', 'shell', '--type', 'tcp']);
    assert.equal(shell.code, 2, shell.stderr);
    assert.match(shell.stderr, /^burrow: "shell" is burrow's own service .* use "burrow ssh appliance-1" or the Terminal on its page in the console\.\n$/);
    const queued = await runBurrow(['admin', 'session-request', 'create', stack.nodeName, '--service', 'shell', '--home', stack.adminHome]);
    assert.equal(queued.code, 2, queued.stderr);
    const sessions = await stack.api<SessionView[]>('GET', '/v1/sessions');
    assert.deepEqual(sessions.filter((s) => s.state === 'open'), [], 'no session port was opened');
  });
});
