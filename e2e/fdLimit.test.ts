import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

/** Opens `count` idle TCP connections to a port from many loopback addresses (past per-address caps). */
async function flood(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new Promise<void>((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.${2 + Math.floor(i / 200)}.${1 + (i % 200)}` });
        sockets.push(s);
        s.on('error', () => resolve());
        s.once('connect', () => resolve());
        s.setTimeout(5_000, () => resolve());
      }),
    ),
  );
  return sockets;
}

// Issue 10: the server runs out of file descriptors. What is already connected keeps
// working, and the server serves new clients again once the load stops.
describe('the server at its open-files limit', () => {
  const stack = stackSuite({ nodeConfig: { backoffMaxMs: 2_000 } });

  it('keeps an open session working under the flood and recovers after it', async () => {
    const s = stack();
    await s.killServer();
    await s.startServer({ maxOpenFiles: 200 });
    await s.waitOnline(s.node.id, true, 20_000);
    const session = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    const browser = new SessionBrowser(new URL(session.url).origin);
    try {
      const u = new URL(session.url);
      assert.equal((await browser.request(`${u.pathname}${u.search}`)).status, 303);
      assert.equal((await browser.request('/')).status, 200);

      const apiPort = Number(new URL(s.url).port);
      const load = await flood(apiPort, 600);
      try {
        // The browser's kept-alive connection and the node's tunnel were there before.
        assert.equal((await browser.request('/')).status, 200, 'the open session still relays');
        assert.equal(s.server?.child.exitCode, null, 'the server is still running');
      } finally {
        for (const c of load) c.destroy();
      }
      const health = await waitFor('the server to answer again', async () => (await s.api<{ ok: boolean }>('GET', '/healthz', undefined, false)).ok, { timeoutMs: 30_000 });
      assert.equal(health, true);
      assert.equal((await s.api<{ online: boolean }>('GET', `/v1/nodes/${s.node.id}`)).online, true);
    } finally {
      browser.close();
    }
  });
});
