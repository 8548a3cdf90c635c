import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlackholeRelay } from './blackholeRelay.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

const KEEPALIVE_MS = 2000;
const KEEPALIVE_COUNT = 3;
/** ssh2 gives up after COUNT unanswered pings, one per interval: (COUNT + 1) x interval at most, plus 1.5 s of process slack. */
const BOUND_MS = (KEEPALIVE_COUNT + 1) * KEEPALIVE_MS + 1500;

describe('a blackholed link (no FIN) is detected by keepalives on both sides', () => {
  let stack: ModesStack;
  let relay: BlackholeRelay;
  before(async () => {
    stack = await ModesStack.start({ keepaliveIntervalMs: KEEPALIVE_MS, keepaliveCountMax: KEEPALIVE_COUNT });
  });
  after(async () => {
    await relay?.close();
    await stack?.close();
  });

  it(`marks the node offline and the agent drops its tunnel, each within ${BOUND_MS} ms`, async () => {
    relay = await BlackholeRelay.start({ host: '127.0.0.1', port: Number(new URL(stack.url).port) });
    const home = await stack.enrollNode('bh1', { keepaliveIntervalMs: KEEPALIVE_MS, keepaliveCountMax: KEEPALIVE_COUNT, serverUrl: `https://127.0.0.1:${relay.port}` });
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('bh1')).online, 20_000, 'bh1 online through the relay');
    const nodeId = (await stack.node('bh1')).id;
    const logFrom = agent.logs.length;
    const holedAt = Date.now();
    relay.blackhole();

    // Server side: the disconnect is recorded in the audit log, with when it was seen.
    await waitUntil(async () => (await stack.audit('node.disconnect')).some((e) => e.actor === nodeId), BOUND_MS + 10_000, 'the server to record the disconnect');
    const seenAt = Date.parse((await stack.audit('node.disconnect')).find((e) => e.actor === nodeId)?.at ?? '');
    assert.ok(seenAt - holedAt <= BOUND_MS, `server detected the dead link after ${seenAt - holedAt} ms`);
    assert.equal((await stack.node('bh1')).online, false);

    // Agent side: its own keepalives end the tunnel ("tunnel down", with when).
    await agent.waitFor(/"msg":"tunnel down"/, BOUND_MS + 10_000, logFrom);
    const line = agent.logs.slice(logFrom).split('\n').find((l) => l.includes('"msg":"tunnel down"')) ?? '';
    const downAt = (JSON.parse(line) as { time: number; lastError: string }).time;
    assert.ok(downAt - holedAt <= BOUND_MS, `agent detected the dead link after ${downAt - holedAt} ms`);
    assert.match(line, /stopped answering keepalives/);
    await agent.stop();
  });
});
