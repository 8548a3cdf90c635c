import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow as burrow, burrowJson } from './harness/burrowCli.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

interface NodeStatus {
  connected: boolean;
  lastError: string | null;
  nextAttemptAt: string | null;
}

/** `burrow ssh NODE -- echo x` answers x: the node's shell accepts the server. */
async function shellWorks(node: string): Promise<void> {
  const r = await burrow(['ssh', node, '--', 'echo', 'x'], { env: { BURROW_HOME: stack.adminHome }, input: '' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'x\n');
  assert.equal(r.code, 0);
}

let stack: ModesStack;

describe('node keys: rotation over the tunnel and revocation', () => {
  before(async () => {
    // Rotations are allowed every 2 s here, so one node can rotate by each trigger in turn.
    stack = await ModesStack.start({ keyRotationMinIntervalMs: 2000 });
  });
  after(async () => {
    await stack?.close();
  });

  it('rotates the key on schedule over the live tunnel, then refuses the old key', async () => {
    const home = await stack.enrollNode('k1', { keyRotationMs: 4000, statusIntervalMs: 1000 });
    const oldKey = await readFile(join(home, 'id_ed25519'), 'utf8');
    const agent = stack.runNode(home);
    const id = (await stack.node('k1')).id;
    await waitUntil(async () => (await stack.audit('node.key.rotate')).some((e) => e.actor === id), 30_000, 'k1 to rotate its key');
    await agent.waitFor(/"msg":"tunnel up"/, 10_000, agent.logs.lastIndexOf('reconnecting with it'));
    assert.ok((await stack.audit('node.key.register')).some((e) => e.actor === id), 'the new key was registered first, over the tunnel');
    await agent.stop();
    assert.notEqual(await readFile(join(home, 'id_ed25519'), 'utf8'), oldKey);

    // A copy of the node holding the old key is refused.
    const stale = join(stack.dir, 'k1-stale');
    await cp(home, stale, { recursive: true });
    await writeFile(join(stale, 'id_ed25519'), oldKey, { mode: 0o600 });
    await writeFile(join(stale, 'state.json'), '{}');
    const impostor = stack.runNode(stale);
    await waitUntil(async () => /does not accept this node key/.test((await burrowJson<NodeStatus>(['node', 'status', '--home', stale])).lastError ?? ''), 20_000, 'the old key to be refused');
    await impostor.stop();
    // The refusal is audited (issue 19: denied attempts were not).
    const refused = (await stack.audit('tunnel.auth')).filter((e) => e.actor === id);
    assert.ok(refused.some((e) => (e.detail as { reason?: string }).reason === 'wrong-key'), JSON.stringify(refused));

    // The node itself, with its rotated key, gets in.
    const again = stack.runNode(home);
    await waitUntil(async () => (await stack.node('k1')).online, 20_000, 'k1 back with its rotated key');
    await again.stop();
  });

  it('after a rotation by each trigger (schedule, node, admin), the shell still works without a restart', async () => {
    const home = await stack.enrollNode('k3', { statusIntervalMs: 1000 });
    const agent = stack.runNode(home);
    const id = (await stack.node('k3')).id;
    await waitUntil(async () => (await stack.node('k3')).online, 20_000, 'k3 online');
    await shellWorks('k3');
    const rotations = async () => (await stack.audit('node.key.rotate')).filter((e) => e.actor === id).length;
    const rotated = async (n: number, how: string) => {
      await waitUntil(async () => (await rotations()) >= n && (await stack.node('k3')).online, 30_000, `k3 to rotate its key (${how})`);
      await shellWorks('k3');
    };

    // The schedule: a key older than the rotation period (30 days by default).
    const old = new Date(Date.now() - 31 * 86_400_000);
    await utimes(join(home, 'id_ed25519'), old, old);
    await rotated(1, 'backdated key');

    // The node's operator, on the node, while the agent runs.
    await waitUntil(async () => {
      const r = await burrow(['node', 'rotate-key', '--home', home]);
      assert.doesNotMatch(r.stderr, /unknown command/);
      return r.code === 0;
    }, 20_000, 'burrow node rotate-key to succeed');
    await rotated(2, 'burrow node rotate-key');

    // An administrator, over the node's tunnel.
    await waitUntil(async () => {
      const r = await burrow(['admin', 'node', 'rotate-key', 'k3', '--home', stack.adminHome]);
      assert.doesNotMatch(r.stderr, /unknown command/);
      return r.code === 0;
    }, 20_000, 'burrow admin node rotate-key to succeed');
    await rotated(3, 'burrow admin node rotate-key');
    assert.equal(agent.child.exitCode, null, 'the agent ran throughout');
    await agent.stop();
  });

  it('revocation cuts a live node at once; the agent says why and backs off for long', async () => {
    const home = await stack.enrollNode('k2');
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('k2')).online, 20_000, 'k2 online');
    const from = agent.logs.length;
    const r = await burrow(['admin', 'node', 'revoke', 'k2', '--home', stack.adminHome]);
    const revokedAt = Date.now();
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stack.node('k2')).online, false, 'offline as soon as the revoke returns');
    await agent.waitFor(/"msg":"tunnel down"/, 5000, from);
    const downLine = agent.logs.slice(from).split('\n').find((l) => l.includes('"msg":"tunnel down"')) ?? '';
    assert.ok((JSON.parse(downLine) as { time: number }).time <= revokedAt + 1000, 'the agent saw the cut within a second');
    await waitUntil(async () => /revoked by an administrator/.test((await burrowJson<NodeStatus>(['node', 'status', '--home', home])).lastError ?? ''), 15_000, 'the agent to learn it is revoked');
    const s = await burrowJson<NodeStatus>(['node', 'status', '--home', home]);
    assert.ok(Date.parse(s.nextAttemptAt ?? '') - Date.now() > 5 * 60_000, `next attempt ${s.nextAttemptAt} is not a long backoff`);
    const k2 = (await stack.node('k2')).id;
    assert.ok((await stack.audit('tunnel.auth')).some((e) => e.actor === k2 && (e.detail as { reason?: string }).reason === 'revoked'), 'the revoked node\'s attempt is audited');
    await agent.stop();
  });
});
