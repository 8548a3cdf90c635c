import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { pinnedAgent } from '../src/shared/pinnedHttps.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

/** A bare WebSocket to /v1/tunnel; its errors are expected and ignored. */
function tunnelSocket(url: string, pin: string): WebSocket {
  const ws = new WebSocket(new URL('/v1/tunnel', url.replace(/^https/, 'wss')).toString(), { agent: pinnedAgent(pin), perMessageDeflate: false });
  ws.on('error', () => undefined);
  return ws;
}

// Issue 9: in a reconnect storm the server turns tunnels away with 503 + Retry-After
// instead of letting handshakes pile up, and agents come back when it says.
describe('tunnel handshakes under load', () => {
  const stack = stackSuite({ serverConfig: { maxPendingHandshakes: 1 }, nodeConfig: { backoffMaxMs: 2_000 } });

  it('answers 503 with Retry-After while the handshake slots are taken, and the agent follows it', async () => {
    const s = stack();
    // A client that upgrades but never speaks SSH holds the only handshake slot.
    const blocker = tunnelSocket(s.url, s.pin);
    await once(blocker, 'open');

    const refused = tunnelSocket(s.url, s.pin);
    const [, res] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number; headers: Record<string, string> }];
    assert.equal(res.statusCode, 503);
    assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After: ${res.headers['retry-after']}`);
    refused.terminate();

    // The real agent, restarted while the slot is taken, is refused too and says why.
    await s.procs.kill(s.node.agent as NonNullable<typeof s.node.agent>);
    await s.waitOnline(s.node.id, false);
    s.runAgent(s.node);
    await waitFor('the agent to report the busy server', async () => (await s.nodeStatus(s.node)).lastError === 'the server is busy', { timeoutMs: 20_000 });
    blocker.terminate();
    await s.waitOnline(s.node.id, true, 20_000);
  });
});
