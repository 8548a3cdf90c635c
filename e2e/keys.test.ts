import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow as burrow, burrowJson } from './harness/burrowCli.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

interface NodeStatus {
  connected: boolean;
  lastError: string | null;
  nextAttemptAt: string | null;
}

describe('node keys: rotation over the tunnel and revocation', () => {
  let stack: ModesStack;
  before(async () => {
    stack = await ModesStack.start();
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
