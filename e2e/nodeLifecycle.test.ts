import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeView, SessionView } from '../src/shared/protocol.js';
import { burrowJson, runBurrow } from './harness/burrowCli.js';
import { probePort } from './harness/freePort.js';
import { holdTerminal } from './harness/heldConnections.js';
import { stackSuite } from './harness/stackSuite.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

const quick = { backoffInitialMs: 300, backoffMaxMs: 1_000 };

// Issue 22: a node is renamed, moved, relabelled, has its services changed from either
// end, and is deleted, all through the built CLI, as an operator would.
describe('node lifecycle and labels (real processes)', () => {
  const stack = stackSuite({ nodeConfig: quick });
  const nodes = (args: string[] = []) => stack().adminJson<NodeView[]>(['nodes', '--json', ...args]);
  const fails = async (args: string[], pattern: RegExp) => {
    const r = await runBurrow(['admin', ...args, '--home', stack().adminHome]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one sentence: ${r.stderr}`);
  };
  const audit = (action: string) => stack().adminJson<{ target: string; detail: Record<string, unknown> }[]>(['audit', '--json', '--action', action, '--limit', '20']);

  it('labels nodes at enrollment and later, filters by label, and runs a job by selector', async () => {
    const s = stack();
    const home = join(s.dir, 'node-n2');
    await burrowJson(['node', 'enroll', s.url, '--token', await s.enrollToken({ autoApprove: true }), '--name', 'n2', '--label', 'site=lyon', '--service', `webui=127.0.0.1:${s.webUi.port}`, '--home', home]);
    await s.admin(['node', 'label', 'n1', 'site=paris', 'tier=prod']);
    assert.deepEqual((await nodes(['--label', 'site=paris'])).map((n) => n.name), ['n1']);
    assert.deepEqual((await nodes(['--label', 'site=lyon'])).map((n) => n.name), ['n2']);
    assert.deepEqual((await nodes(['--label', 'tier!=prod'])).map((n) => n.name), ['n2']);
    assert.match(await s.admin(['nodes', '--label', 'site=paris']), /site=paris,tier=prod/);
    await fails(['nodes', '--label', 'site'], /not key=value or key!=value/);
    await s.admin(['node', 'label', 'n1', '--rm', 'tier']);
    assert.deepEqual((await nodes(['--label', 'site=paris'])).map((n) => n.labels), [{ site: 'paris' }]);

    const run = await runBurrow(['admin', 'job', 'run', '--selector', 'site=paris', '--wait', '--json', '--home', s.adminHome, '--', 'echo', 'picked']);
    assert.equal(run.code, 0, run.stderr);
    const job = JSON.parse(run.stdout) as { targets: { nodeId: string; stdout: string }[] };
    assert.deepEqual(job.targets.map((t) => [t.nodeId, t.stdout]), [[s.node.id, 'picked\n']], 'n2 (site=lyon) is not picked');
  });

  it('renames a node, refusing a name its group already has', async () => {
    const s = stack();
    await s.admin(['node', 'rename', 'n1', 'gate-1']);
    assert.ok((await nodes()).some((n) => n.id === s.node.id && n.name === 'gate-1'));
    await fails(['node', 'rename', 'n2', 'gate-1'], /already named gate-1/);
    assert.deepEqual((await audit('node.rename'))[0]?.detail, { from: 'n1', to: 'gate-1' });
  });

  it('changes services from the server within what the node allows, and from the node CLI, live', async () => {
    const s = stack();
    const web = `127.0.0.1:${s.webUi.port}`;
    await s.admin(['node', 'services', 'gate-1', '--set', `ui2=${web}`]);
    const withUi2 = await waitFor('the node to announce ui2', async () => (await nodes()).find((n) => n.id === s.node.id && n.online && n.services.includes('ui2')));
    assert.ok(withUi2.services.includes('webui'));
    const session = await s.adminJson<SessionView>(['session', 'open', 'gate-1', '--service', 'ui2']);
    assert.equal(await probePort(session.port), 'connected');
    // A target the node's operator never exposed nor allowed: the node refuses it.
    await fails(['node', 'services', 'gate-1', '--set', 'lan=10.0.0.5:22'], /refused the change.*not a target this node's operator allowed/);
    assert.equal((await audit('node.services'))[0]?.detail.refused !== undefined, true);
    const config = JSON.parse(await readFile(join(s.node.home, 'node.json'), 'utf8')) as { services: Record<string, string> };
    assert.equal(config.services.lan, undefined);

    // The operator on the node adds and removes services; the running agent follows.
    await runOk(['node', 'service', 'add', `extra=tcp://${web}`, '--home', s.node.home]);
    await waitFor('the node to announce extra', async () => (await nodes()).find((n) => n.id === s.node.id && n.online && n.services.includes('extra')));
    await runOk(['node', 'service', 'rm', 'ui2', '--home', s.node.home]);
    const after = await waitFor('the node to drop ui2', async () => (await nodes()).find((n) => n.id === s.node.id && n.online && !n.services.includes('ui2')));
    assert.deepEqual(after.services.filter((n) => !['shell', 'jobs'].includes(n)), ['extra', 'webui']);
  });

  it('moves a node to another group, ending the session and terminal of an operator who may not operate there', async () => {
    const s = stack();
    await s.admin(['groups', 'create', 'site1']);
    await s.admin(['groups', 'create', 'site2']);
    await s.admin(['node', 'move', 'gate-1', '--group', 'site1']);
    const op = await operator('ops1', 'site1');
    const opened = await runBurrow(['admin', 'session', 'open', 'gate-1', '--json', '--home', op.home]);
    assert.equal(opened.code, 0, opened.stderr);
    const session = JSON.parse(opened.stdout) as SessionView;
    assert.equal(await probePort(session.port), 'connected');
    const terminal = holdTerminal(op.home, 'gate-1', ['sh', '-c', 'while :; do echo tick; sleep 0.2; done']);
    try {
      await terminal.saw(/tick/);
      const moved = await s.admin(['node', 'move', 'gate-1', '--group', 'site2']);
      assert.match(moved, /now in group root\/site2/);
      const acted = Date.now();
      await waitFor('the operator\'s session port to close', async () => (await probePort(session.port)) !== 'connected', { timeoutMs: 5_000, intervalMs: 100 });
      const ended = await Promise.race([terminal.ended, new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 15_000).unref())]);
      assert.ok(ended - acted <= 5_000, `the operator's terminal outlived the move by ${ended - acted} ms`);
    } finally {
      terminal.close();
    }
    const gone = await runBurrow(['admin', 'node', 'show', 'gate-1', '--home', op.home]);
    assert.notEqual(gone.code, 0, 'the node left the operator\'s reach');
    assert.equal((await audit('node.move'))[0]?.detail.toPath, 'root/site2');
  });

  it('deletes a node: cut off for good, its name free, its audit trail kept', async () => {
    const s = stack();
    await fails(['node', 'delete', 'gate-1'], /--yes/);
    await s.admin(['node', 'delete', 'gate-1', '--yes']);
    assert.ok(!(await nodes()).some((n) => n.id === s.node.id));
    const st = await waitFor('the agent to be refused', async () => {
      const x = await s.nodeStatus(s.node);
      return !x.connected && x.lastError !== null && /revoked/.test(x.lastError) ? x : undefined;
    });
    assert.equal(st.agent, 'running');
    const entries = await s.adminJson<{ action: string; target: string }[]>(['audit', '--json', '--limit', '500']);
    for (const action of ['node.delete', 'node.rename', 'node.move', 'node.enroll']) assert.ok(entries.some((e) => e.action === action && e.target === s.node.id), action);
    // The name is free: another node may take it.
    await s.admin(['node', 'rename', 'n2', 'gate-1']);
  });

  async function runOk(args: string[]): Promise<void> {
    const r = await runBurrow(args);
    assert.equal(r.code, 0, r.stderr);
  }

  /** An operator on `group`, authenticator enrolled, signed in to the CLI in a home of its own. */
  async function operator(name: string, group: string) {
    const s = stack();
    const email = `${name}@example.com`;
    const pw = join(s.dir, `${name}.pw`);
    await writeFile(pw, 'a fine long passphrase 9', { mode: 0o600 });
    await s.admin(['users', 'create', email, '--role', 'operator', '--group', group, '--password-file', pw]);
    const home = join(s.dir, `home-${name}`);
    const as = (args: string[]) => runBurrow([...args, '--home', home]);
    assert.equal((await as(['admin', 'login', '--server', s.url, '--email', email, '--password-file', pw, '--fingerprint', s.pin, '--no-totp'])).code, 0);
    const { secret } = JSON.parse((await as(['admin', 'totp', 'setup', '--json'])).stdout) as { secret: string };
    const confirm = await as(['admin', 'totp', 'confirm', await totpCode(secret)]);
    assert.equal(confirm.code, 0, confirm.stderr);
    return { home };
  }
});
