import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { runBurrow } from './harness/burrowCli.js';
import { Cluster, FRONT, type Instance } from './harness/cluster.js';
import type { NodeHandle } from './harness/serverStack.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';
import { startWebUi, WEBUI_HTML, type WebUi } from './harness/webUi.js';

// Issue 20: three instances on one PostgreSQL database behind HAProxy, six real agents.
// What needs the peer link (sessions, shells, jobs and console streams across instances,
// a dead instance's sessions closed, rolling restarts) is in e2e/clusterPeering.pending.ts.

interface AuditRow { seq: number; action: string; result: string; detail: Record<string, unknown> }
interface Verdict { ok: boolean; entries: number }

/** Opens a WebUI session straight on `inst` from `from`, and fetches / through HAProxy's session port: what the browser gets. */
async function reachThrough(c: Cluster, inst: Instance, node: NodeHandle, from: string): Promise<{ session: SessionView; status: number; body: string }> {
  const r = await c.request<SessionView>(inst, 'POST', '/v1/sessions', { body: { node: node.id, service: 'webui' }, from });
  assert.equal(r.status, 201, `${inst.name}: ${JSON.stringify(r.body)}`);
  const url = new URL(r.body.url);
  const browser = new SessionBrowser(url.origin, from);
  try {
    assert.equal((await browser.request(url.pathname + url.search)).status, 303, 'the opener trades the token for a cookie');
    const page = await browser.request('/');
    return { session: r.body, status: page.status, body: page.body.toString() };
  } finally {
    browser.close();
  }
}

describe('three instances on PostgreSQL behind HAProxy', () => {
  let webUi: WebUi | undefined;
  let cluster: Cluster | undefined;
  const c = () => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };

  before(async () => {
    webUi = await startWebUi();
    cluster = await Cluster.start({ instances: 3 });
    const token = await cluster.enrollToken({ autoApprove: true, uses: 6 });
    for (let i = 1; i <= 6; i++) await cluster.enroll(`n${i}`, token, { services: { webui: `127.0.0.1:${webUi.port}` } });
    // One agent at a time, each waited for, so HAProxy's round robin deals them out in turn.
    for (const node of cluster.nodes) await cluster.runAgentHeld(node);
  });
  afterEach((t) => {
    if (!t.passed && cluster) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${cluster.logTails()}\n`);
  });
  after(async () => {
    await cluster?.close();
    await webUi?.close();
  });

  it('spreads the nodes over every instance, each reachable through the instance holding it', async () => {
    const held = await c().holders();
    assert.equal(held.size, 6, 'every node is held by one instance');
    for (const inst of c().instances) assert.ok([...held.values()].includes(inst), `${inst.name} holds a node`);
    for (const node of c().nodes) {
      const inst = held.get(node.id) as Instance;
      const got = await reachThrough(c(), inst, node, '127.0.0.11');
      assert.equal(got.status, 200);
      assert.equal(got.body, WEBUI_HTML);
      assert.equal(new URL(got.session.url).hostname, FRONT, 'the session URL names HAProxy');
      const [from, to] = inst.sessionPorts;
      assert.ok(got.session.port >= from && got.session.port <= to, `${inst.name} binds in its own range`);
      assert.equal((await c().request(inst, 'DELETE', `/v1/sessions/${got.session.id}`)).status, 204);
    }
  });

  it('accepts one TOTP code once across all instances', async () => {
    // The next step's code: valid now (±1 step) and not yet used by the harness's sign-in.
    const code = await totpCode(c().totpSecret, 30);
    const body = { email: 'admin@e2e.test', password: 'e2e-password-long-enough', totp: code };
    const tries = await Promise.all(c().instances.map((inst) => c().request<{ token?: string }>(inst, 'POST', '/v1/auth/login', { body, auth: false })));
    assert.deepEqual(tries.map((t) => t.status).sort(), [200, 401, 401], JSON.stringify(tries.map((t) => t.body)));
  });

  it('keeps one audit chain, with no gap or fork, after all three wrote at once', async () => {
    const held = await c().holders();
    const before = (await c().request<AuditRow[]>('balancer', 'GET', '/v1/audit?action=enroll-token.create&limit=1000')).body.length;
    const sessions: string[] = [];
    // Each instance keeps its first node for sessions; its other nodes' agents reconnect meanwhile.
    const sessionNodes = c().instances.flatMap((inst) => c().nodes.filter((n) => held.get(n.id) === inst).slice(0, 1));
    const reconnecting = c().nodes.filter((n) => !sessionNodes.includes(n));
    assert.ok(reconnecting.length > 0);
    // Every instance at once: failed sign-ins from an address of its own, enrollment tokens,
    // sessions on its node opened and closed; and agents reconnecting.
    const writes = c().instances.map(async (inst) => {
      for (let k = 0; k < 5; k++) {
        const r = await c().request(inst, 'POST', '/v1/auth/login', { body: { email: `nobody${k}@e2e.test`, password: 'wrong-password' }, auth: false, from: `127.0.0.${30 + inst.index}` });
        assert.ok(r.status === 401 || r.status === 429, String(r.status));
        assert.equal((await c().request(inst, 'POST', '/v1/enroll-tokens', { body: { uses: 1 } })).status, 201);
      }
      const node = sessionNodes.find((n) => held.get(n.id) === inst);
      for (let k = 0; node && k < 3; k++) {
        const r = await c().request<SessionView>(inst, 'POST', '/v1/sessions', { body: { node: node.id, service: 'webui' } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        sessions.push(r.body.id);
        assert.equal((await c().request(inst, 'DELETE', `/v1/sessions/${r.body.id}`)).status, 204);
      }
    });
    const reconnects = reconnecting.map(async (node) => {
      if (node.agent) await c().procs.stop(node.agent);
      await c().runAgentHeld(node);
    });
    await Promise.all([...writes, ...reconnects]);

    const cli = await runBurrow(['admin', 'audit', 'verify'], { env: { BURROW_HOME: c().adminHome } });
    assert.equal(cli.code, 0, cli.stderr);
    const entries = Number(/intact: (\d+) entries/.exec(cli.stdout)?.[1]);
    assert.ok(entries > 0, cli.stdout);
    for (const inst of c().instances) {
      const v = await c().request<Verdict>(inst, 'GET', '/v1/audit/verify');
      assert.equal(v.status, 200);
      assert.equal(v.body.ok, true, `${inst.name}: ${JSON.stringify(v.body)}`);
      assert.ok(v.body.entries >= entries, `${inst.name} sees the whole chain`);
    }
    // No committed record is lost: every token and session made above is in the log.
    const all = (await c().request<AuditRow[]>('balancer', 'GET', '/v1/audit?limit=1000')).body;
    assert.equal(all.filter((a) => a.action === 'enroll-token.create').length - before, 15);
    for (const id of sessions) assert.ok(all.some((a) => a.action === 'session.open' && a.detail.sessionId === id), `session ${id} is audited`);
    const seqs = all.map((a) => a.seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => (seqs[0] as number) + i), 'sequence numbers without a gap');
  });

  it('brings a SIGKILLed instance\'s nodes back through the survivors within 60 s', async () => {
    const held = await c().holders();
    const counts = c().instances.map((inst) => [...held.values()].filter((h) => h === inst).length);
    const victim = c().instances[counts.indexOf(Math.max(...counts))] as Instance;
    const orphans = c().nodes.filter((n) => held.get(n.id) === victim);
    assert.ok(orphans.length > 0);
    const t0 = Date.now();
    await c().killInstance(victim);
    await waitFor('every node to be held by a survivor', async () => {
      const now = await c().holders();
      for (const node of c().nodes) if (!now.has(node.id) || !(await c().agentConnected(node))) return false;
      return true;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    process.stderr.write(`[cluster] ${orphans.length} nodes of ${victim.name} back after ${Date.now() - t0} ms\n`);
    const now = await c().holders();
    for (const node of orphans) {
      const got = await reachThrough(c(), now.get(node.id) as Instance, node, '127.0.0.12');
      assert.equal(got.status, 200);
      assert.equal(got.body, WEBUI_HTML);
    }
    const cli = await runBurrow(['admin', 'audit', 'verify'], { env: { BURROW_HOME: c().adminHome } });
    assert.equal(cli.code, 0, `the chain verifies after the crash: ${cli.stderr}`);
  });
});
