import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { NodeView, SessionView } from '../src/shared/protocol.js';
import { probePort } from './harness/freePort.js';
import { enterSession, getBody, hashOfUrl } from './harness/httpGet.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';
import { BIG_BODY_BYTES } from './harness/webUi.js';

// Issue 3: enroll -> online -> session -> the WebUI through the tunnel -> close; and the
// agent finding its way back after the server crashes.
describe('tunnel spine', () => {
  // A short backoff cap keeps the reconnect after the server restart quick.
  const stack = stackSuite({ nodeConfig: { backoffMaxMs: 2_000 } });

  it('lists the enrolled node online, and the node says it is connected', async () => {
    const s = stack();
    const nodes = await s.adminJson<NodeView[]>(['nodes']);
    assert.equal(nodes.length, 1);
    const n = nodes[0] as NodeView;
    assert.deepEqual({ id: n.id, name: n.name, status: n.status, online: n.online, services: n.services }, { id: s.node.id, name: 'n1', status: 'approved', online: true, services: ['jobs', 'shell', 'webui'] });
    const status = await s.nodeStatus(s.node);
    assert.deepEqual({ agent: status.agent, connected: status.connected, lastError: status.lastError }, { agent: 'running', connected: true, lastError: null });
  });

  it('starts the server and the agent with their V8 heap settings (bin/burrow)', async () => {
    const s = stack();
    const argv = async (pid: number | undefined) => (await readFile(`/proc/${pid ?? 0}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    for (const [pid, command, flags] of [
      [s.server?.child.pid, 'server start', ['--min-semi-space-size=16', '--initial-old-space-size=128']],
      [s.node.agent?.child.pid, 'node run', ['--initial-old-space-size=64', '--expose-gc']],
    ] as const) {
      const words = await argv(pid);
      assert.deepEqual(words.slice(1, 1 + flags.length), flags, `argv: ${words.join(' ')}`);
      assert.equal(words.slice(-4, -2).join(' '), command);
    }
  });

  it('relays the WebUI byte for byte through a session port, then frees the port', async () => {
    const s = stack();
    const session = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    assert.match(session.url, new RegExp(`^https://127\\.0\\.0\\.1:${session.port}/\\?burrow_token=`));
    assert.equal(session.state, 'open');

    const { origin, cookie } = await enterSession(session.url, s.pin);
    const direct = await getBody(s.webUi.url);
    const relayed = await getBody(`${origin}/`, s.pin, cookie);
    assert.equal(relayed.status, 200);
    assert.equal(relayed.headers['content-type'], direct.headers['content-type']);
    assert.deepEqual(relayed.body, direct.body);

    // 50 MiB, hashed as it streams from each side; neither copy is held in memory.
    const [viaTunnel, fromWebUi] = await Promise.all([hashOfUrl(`${origin}/big`, s.pin, cookie), hashOfUrl(new URL('/big', s.webUi.url).toString())]);
    assert.equal(viaTunnel.status, 200);
    assert.equal(viaTunnel.bytes, BIG_BODY_BYTES);
    assert.equal(fromWebUi.bytes, BIG_BODY_BYTES);
    assert.equal(viaTunnel.sha256, fromWebUi.sha256);

    const listed = await s.adminJson<SessionView[]>(['session', 'list']);
    assert.deepEqual(listed.map((x) => x.id), [session.id]);
    await s.admin(['session', 'close', session.id]);
    assert.equal(await probePort(session.port), 'ECONNREFUSED');
    assert.deepEqual(await s.adminJson<SessionView[]>(['session', 'list']), []);
  });

  it('comes back by itself after the server is killed and started again', async () => {
    const s = stack();
    await s.killServer();
    await waitFor('the agent to notice the server is gone', async () => !(await s.nodeStatus(s.node)).connected);
    await s.startServer();
    await s.waitOnline(s.node.id, true);
    // Online comes with SSH; the services are announced just after, over the same tunnel.
    await waitFor('the node to announce its services again', async () => {
      const v = await s.api<NodeView>('GET', `/v1/nodes/${s.node.id}`);
      return v.services.join(',') === 'jobs,shell,webui';
    });
    const status = await waitFor('the agent to say it is connected', async () => {
      const st = await s.nodeStatus(s.node);
      return st.connected ? st : undefined;
    });
    assert.equal(status.lastError, null);
    // Not just listed: the tunnel carries traffic again.
    const session = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    const { origin, cookie } = await enterSession(session.url, s.pin);
    const relayed = await getBody(`${origin}/`, s.pin, cookie);
    assert.deepEqual(relayed.body, (await getBody(s.webUi.url)).body);
    await s.admin(['session', 'close', session.id]);
  });
});
