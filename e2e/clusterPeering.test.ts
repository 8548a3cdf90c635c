import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import https from 'node:https';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { Cluster, DIRECT_FROM, type Instance } from './harness/cluster.js';
import type { NodeHandle } from './harness/serverStack.js';
import { waitFor } from './harness/waitFor.js';
import { CHUNK, FakeApplianceWebui } from './sessionWebui.js';

// Issue 20, the cases where instances reach each other's nodes: node routes, the peer
// link and the cluster bus, with real PostgreSQL, HAProxy, burrow instances and agents.

interface JobTarget { nodeId: string; status: string; stdout: string | null }

/** Two browsers told apart only by their address, as HAProxy's PROXY header says. */
const ALICE = '127.0.0.41';
const MALLORY = '127.0.0.42';
const DOWNLOAD_MIB = 10;

/** SHA-256 of what /download?mib=N serves. */
function expectedDownload(mib: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < mib; i++) h.update(CHUNK);
  return h.digest('hex');
}

/** The console's event stream on one instance: every event name and data seen so far. */
function eventStream(c: Cluster, inst: Instance): { events: { event: string; data: { id?: string } }[]; close(): void } {
  const events: { event: string; data: { id?: string } }[] = [];
  const req = https.request(new URL('/v1/events', `https://${inst.address}:${inst.port}`), { localAddress: DIRECT_FROM, agent: false, rejectUnauthorized: false, headers: { authorization: `Bearer ${c.apiToken}` } }, (res) => {
    let buffer = '';
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(frame)?.[1];
        const data = /^data: (.+)$/m.exec(frame)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as { id?: string } });
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { events, close: () => req.destroy() };
}

describe('three instances reaching each other\'s nodes', () => {
  const webui = new FakeApplianceWebui();
  const browsers: SessionBrowser[] = [];
  let cluster: Cluster | undefined;
  const c = () => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };
  /** A node held by an instance other than `inst`. */
  const remoteNode = async (inst: Instance): Promise<NodeHandle> => {
    const held = await c().holders();
    const node = c().nodes.find((n) => held.has(n.id) && held.get(n.id) !== inst);
    assert.ok(node, `a node held elsewhere than ${inst.name}`);
    return node;
  };
  /** A session as `inst` lists it (closed ones included). */
  const sessionState = async (inst: Instance, id: string): Promise<SessionView | undefined> => {
    const r = await c().request<SessionView[]>(inst, 'GET', '/v1/sessions?all=true');
    assert.equal(r.status, 200);
    return r.body.find((s) => s.id === id);
  };
  /** Opens a WebUI session through `inst` from Alice's address and enters it. */
  const enter = async (inst: Instance, node: NodeHandle): Promise<{ session: SessionView; alice: SessionBrowser }> => {
    const r = await c().request<SessionView>(inst, 'POST', '/v1/sessions', { body: { node: node.id, service: 'webui' }, from: ALICE });
    assert.equal(r.status, 201, `${inst.name}: ${JSON.stringify(r.body)}`);
    const url = new URL(r.body.url);
    const alice = new SessionBrowser(url.origin, ALICE);
    browsers.push(alice);
    assert.equal((await alice.request(url.pathname + url.search)).status, 303);
    return { session: r.body, alice };
  };

  before(async () => {
    await webui.start();
    cluster = await Cluster.start({ instances: 3 });
    const token = await cluster.enrollToken({ autoApprove: true, uses: 6 });
    for (let i = 1; i <= 6; i++) await cluster.enroll(`n${i}`, token, { services: { webui: `127.0.0.1:${webui.httpPort}` } });
    for (const node of cluster.nodes) await cluster.runAgentHeld(node);
  });
  afterEach((t) => {
    if (!t.passed && cluster) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${cluster.logTails()}\n`);
  });
  after(async () => {
    for (const b of browsers) b.close();
    await cluster?.close();
    await webui.stop();
  });

  it('serves a session opened through each instance from a node on another, to the opener only', async () => {
    const expected = expectedDownload(DOWNLOAD_MIB);
    for (const inst of c().instances) {
      const node = await remoteNode(inst);
      const { session, alice } = await enter(inst, node);
      const [from, to] = inst.sessionPorts;
      assert.ok(session.port >= from && session.port <= to, `${inst.name} binds the session in its own range`);
      const hash = createHash('sha256');
      const got = await alice.request(`/download?mib=${DOWNLOAD_MIB}`, { sink: (chunk) => hash.update(chunk) });
      assert.equal(got.status, 200);
      assert.equal(hash.digest('hex'), expected, `${DOWNLOAD_MIB} MiB through ${inst.name} arrive byte for byte`);
      const mallory = new SessionBrowser(new URL(session.url).origin, MALLORY);
      browsers.push(mallory);
      for (const [k, v] of alice.jar) mallory.jar.set(k, v);
      assert.equal((await mallory.request('/echo-headers')).status, 403, 'the cookie does not help from another address');
      assert.equal((await c().request(inst, 'DELETE', `/v1/sessions/${session.id}`)).status, 204);
    }
  });

  it('runs a job created on one instance at once on a node held by another', async () => {
    const inst = c().instances[0] as Instance;
    const node = await remoteNode(inst);
    const r = await c().request<{ id: string }>(inst, 'POST', '/v1/jobs', { body: { node: node.id, command: 'echo ran-$((40+2))' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const target = await waitFor('the job to run on the remote node', async () => {
      const job = await c().request<{ targets: JobTarget[] }>(inst, 'GET', `/v1/jobs/${r.body.id}`);
      const t = job.body.targets.find((x) => x.nodeId === node.id);
      return t?.status === 'ok' ? t : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal(target.stdout, 'ran-42\n');
  });

  it('shows a console streaming from one instance a node on another going offline', async () => {
    const inst = c().instances[0] as Instance;
    const node = await remoteNode(inst);
    const stream = eventStream(c(), inst);
    try {
      if (node.agent) await c().procs.stop(node.agent);
      await waitFor(`node.offline for ${node.name} on ${inst.name}`, () => stream.events.some((e) => e.event === 'node.offline' && e.data.id === node.id), { timeoutMs: 15_000 });
    } finally {
      stream.close();
    }
    await c().runAgentHeld(node);
  });

  it('leaves the other instances\' sessions open while one instance restarts', async () => {
    const [a, b, cc] = c().instances as [Instance, Instance, Instance];
    const held = await c().holders();
    const open = [];
    for (const inst of [a, cc]) {
      const node = c().nodes.find((n) => held.get(n.id) === inst) as NodeHandle;
      open.push({ inst, ...(await enter(inst, node)) });
    }
    await c().restartInstance(b);
    for (const s of open) {
      assert.equal((await s.alice.request('/echo-headers')).status, 200, `the session on ${s.inst.name} still relays`);
      assert.equal((await sessionState(s.inst, s.session.id))?.state, 'open');
      assert.equal((await sessionState(b, s.session.id))?.state, 'open', `the restarted ${b.name} did not close ${s.inst.name}'s session in the store`);
      await c().request(s.inst, 'DELETE', `/v1/sessions/${s.session.id}`);
    }
  });

  it('closes a killed instance\'s sessions with a reason, and serves its nodes through every survivor', async () => {
    const held = await c().holders();
    const victim = [...held.values()][0] as Instance;
    const local = c().nodes.find((n) => held.get(n.id) === victim) as NodeHandle;
    const { session } = await enter(victim, local);
    const orphans = c().nodes.filter((n) => held.get(n.id) === victim);
    await c().killInstance(victim);
    const survivor = c().live[0] as Instance;
    const closed = await waitFor('the dead instance\'s session to show closed', async () => {
      const v = await sessionState(survivor, session.id);
      return v?.state === 'closed' ? v : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(closed.closeReason, 'instance-lost');
    await waitFor('every node to be held by a survivor', async () => {
      const now = await c().holders();
      return c().nodes.every((n) => now.has(n.id));
    }, { timeoutMs: 60_000, intervalMs: 500 });
    for (const inst of c().live) {
      for (const node of orphans) {
        const { session: s, alice } = await enter(inst, node);
        assert.equal((await alice.request('/echo-headers')).status, 200, `${node.name} through ${inst.name}`);
        await c().request(inst, 'DELETE', `/v1/sessions/${s.id}`);
      }
    }
  });
});
