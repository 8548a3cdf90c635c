import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeBudgetView } from '../src/shared/dataBudget.js';
import { ShellStack, type StackNode } from './harness/shellStack.js';
import { burrowJson } from './harness/burrowCli.js';
import { waitFor } from './harness/waitFor.js';
import { launchChromium } from './harness/chromium.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { waitForNextTotpStep } from './harness/totp.js';

/** What `burrow node status --json` says of the node's own count. */
interface NodeData {
  data: { month: string; bytesIn: number; bytesOut: number; budget: { level: string } | null } | null;
}

const MiB = 1024 * 1024;

describe('data budgets (real server, agent, tunnel, shell sessions and Chromium)', () => {
  let stack: ShellStack;
  let n1: StackNode;
  before(async () => {
    // Counts reach the store every 300 ms, so the test waits on them, not on the default 30 s.
    stack = await ShellStack.start({ serverConfig: { trafficFlushMs: 300 } });
    n1 = await stack.addNode('n1');
    await n1.start(['shell']);
  });
  after(async () => {
    await stack?.close();
  });

  const budget = () => stack.adminJson<NodeBudgetView>(['node', 'budget', 'n1', '--json']);
  const nodeCount = async () => {
    const s = await burrowJson<NodeData>(['node', 'status', '--home', n1.home, '--json']);
    return s.data ? s.data.bytesIn + s.data.bytesOut : 0;
  };

  it('counts a session past the budget, then refuses the next session and shell', async () => {
    const set = await budget();
    assert.equal(set.budget, null);
    const view = await stack.adminJson<NodeBudgetView>(['node', 'budget', 'n1', '--monthly', '2M', '--json']);
    assert.equal(view.budget?.monthlyBytes, 2 * MiB);
    assert.equal(view.budget?.over, 'refuse');
    assert.equal(view.budget?.level, 'ok');

    // 3 MiB of output through a real shell session: past the 2 MiB budget.
    const big = await stack.cli(['ssh', 'n1', '--', 'head', '-c', String(3 * MiB), '/dev/zero']);
    assert.equal(big.code, 0, big.stderr);
    assert.equal(big.stdout.length, 3 * MiB);
    const spent = await waitFor('the server to count the budget as spent', async () => {
      const v = await budget();
      return v.budget?.level === 'exceeded' ? v : undefined;
    }, { timeoutMs: 20_000 });
    assert.ok(spent.usedBytes > 3 * MiB, `counted ${spent.usedBytes}`);
    // The shell's output came from the node: bytes in, as the server counts them.
    assert.ok(spent.bytesIn > 3 * MiB, `counted ${spent.bytesIn} in`);
    assert.equal(spent.budget?.refusing, true);
    assert.equal(spent.budget?.throttled, true);

    const shell = await stack.cli(['ssh', 'n1', '--', 'echo', 'through']);
    assert.notEqual(shell.code, 0);
    assert.match(shell.stderr, /data budget/);
    assert.doesNotMatch(shell.stdout, /through/);
    const session = await stack.cli(['admin', 'session', 'open', 'n1', '--service', 'webui']);
    assert.equal(session.code, 3, session.stderr);
    assert.match(session.stderr, /n1 has used its data budget for \d{4}-\d{2}/);

    const show = await stack.cli(['admin', 'node', 'show', 'n1']);
    assert.match(show.stdout, /data\s+\d[\d.]* MiB of 2\.0 MiB \(\d+(\.\d)? %\) in \d{4}-\d{2}, new sessions refused/);

    // The 80 % and 100 % notices, each audited once.
    const audit = JSON.parse((await stack.cli(['admin', 'audit', '--json', '--action', 'node.budget', '--limit', '20'])).stdout) as { action: string }[];
    const actions = audit.map((e) => e.action);
    assert.equal(actions.filter((a) => a === 'node.budget.warning').length, 1, actions.join(','));
    assert.equal(actions.filter((a) => a === 'node.budget.exceeded').length, 1, actions.join(','));
    assert.ok(actions.includes('node.budget.set'));
    const shells = JSON.parse((await stack.cli(['admin', 'audit', '--json', '--action', 'shell.open', '--limit', '20'])).stdout) as { result: string; detail: { error?: string } | null }[];
    assert.ok(shells.some((e) => e.result === 'denied' && /data budget/.test(e.detail?.error ?? '')), 'the refused shell is audited');
  });

  it('keeps both counts and the refusal across an agent restart', async () => {
    const serverBefore = (await budget()).usedBytes;
    await n1.stop();
    // The agent wrote its count at stop: its own count saw the session too.
    const ownBefore = await nodeCount();
    assert.ok(ownBefore > 3 * MiB, `the node counted ${ownBefore}`);
    await n1.start(['shell']);
    const after = await budget();
    assert.ok(after.usedBytes >= serverBefore, `${after.usedBytes} < ${serverBefore}`);
    assert.equal(after.budget?.refusing, true);
    // The node's count carries on from the saved one, and reaches the server in its status reports.
    const reported = await waitFor('the node to report its count', async () => {
      const v = await budget();
      return v.nodeCount && v.nodeCount.bytesIn + v.nodeCount.bytesOut >= ownBefore ? v : undefined;
    }, { timeoutMs: 20_000 });
    assert.ok(reported.nodeCount);
    const status = await burrowJson<NodeData>(['node', 'status', '--home', n1.home, '--json']);
    assert.ok(status.data && status.data.bytesIn + status.data.bytesOut >= ownBefore);

    const shell = await stack.cli(['ssh', 'n1', '--', 'echo', 'through']);
    assert.notEqual(shell.code, 0);
    assert.match(shell.stderr, /data budget/);

    // The server told the node its budget in the reply to its first report; the agent keeps it with its count.
    await n1.stop();
    const told = await burrowJson<NodeData>(['node', 'status', '--home', n1.home, '--json']);
    assert.equal(told.data?.budget?.level, 'exceeded');
    await n1.start(['shell']);
  });

  it('shows the spent budget on the nodes list and the node page, where an administrator overrides it (Chromium)', async () => {
    const browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
    try {
      const page = browser.page;
      // The CLI signed in with a code of this 30 s step at the start, and a code is taken once.
      await waitForNextTotpStep();
      await signInAsAdmin(page, stack.url, stack.totpSecret);
      const row = page.locator('tr[data-node="n1"]');
      await row.getByText('data budget spent').waitFor({ timeout: 20_000 });
      await row.getByRole('link', { name: 'n1' }).click();
      await page.getByRole('heading', { level: 2, name: 'Data this month' }).waitFor({ timeout: 20_000 });
      assert.match(await page.locator('[data-fact="dataUsed"]').innerText(), /of 2\.0 MiB \(\d+(\.\d)? %\)/);
      assert.match(await page.locator('[data-fact="budgetState"]').innerText(), /new sessions are refused/);
      await page.getByRole('button', { name: 'Override until the month ends' }).click();
      await page.locator('[data-fact="budgetState"]').getByText(/overridden until/).waitFor({ timeout: 20_000 });
      assert.equal((await budget()).budget?.refusing, false);
      await page.getByRole('button', { name: 'End override' }).click();
      await page.locator('[data-fact="budgetState"]').getByText(/new sessions are refused/).waitFor({ timeout: 20_000 });
    } finally {
      await browser.close();
    }
  });

  it('lets a session through while an administrator overrides the budget, and refuses again once it ends', async () => {
    const over = await stack.adminJson<NodeBudgetView>(['node', 'budget', 'n1', '--override', '--until', '1h', '--json']);
    assert.ok(over.budget?.overrideUntil);
    assert.equal(over.budget?.refusing, false);
    const shell = await stack.cli(['ssh', 'n1', '--', 'echo', 'through']);
    assert.equal(shell.code, 0, shell.stderr);
    assert.equal(shell.stdout, 'through\n');

    const ended = await stack.adminJson<NodeBudgetView>(['node', 'budget', 'n1', '--end-override', '--json']);
    assert.equal(ended.budget?.refusing, true);
    const refused = await stack.cli(['ssh', 'n1', '--', 'echo', 'through']);
    assert.notEqual(refused.code, 0);

    const cleared = await stack.adminJson<NodeBudgetView>(['node', 'budget', 'n1', '--clear', '--json']);
    assert.equal(cleared.budget, null);
    const free = await stack.cli(['ssh', 'n1', '--', 'echo', 'through']);
    assert.equal(free.code, 0, free.stderr);
  });

  it('with --over throttle lets sessions in but holds the spent tunnel to the rate', async () => {
    // The month's count is already past 1 MiB: this budget is spent at once.
    const set = await stack.adminJson<NodeBudgetView>(['node', 'budget', 'n1', '--monthly', '1M', '--over', 'throttle', '--rate', '64K', '--json']);
    assert.equal(set.budget?.throttled, true);
    assert.equal(set.budget?.refusing, false);
    // The instance holding the tunnel applied the rate before it answered.
    const started = Date.now();
    const r = await stack.cli(['ssh', 'n1', '--', 'head', '-c', String(2 * MiB), '/dev/zero']);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 2 * MiB);
    // 2 MiB at 64 KiB/s is 32 s; a loaded machine only makes it slower, so only the lower bound is checked.
    process.stdout.write(`# 2 MiB through a tunnel throttled to 64 KiB/s took ${seconds.toFixed(1)} s\n`);
    assert.ok(seconds >= 5, `took only ${seconds} s`);
    await stack.admin(['node', 'budget', 'n1', '--clear']);
  });
});
