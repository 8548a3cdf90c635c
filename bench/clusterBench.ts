import https from 'node:https';
import type { SessionView } from '../src/shared/protocol.js';
import { Cluster, type Instance } from '../e2e/harness/cluster.js';
import { rssKiB, summarize } from './lib/procStats.js';
import { Fleet } from './lib/fleet.js';
import type { Row } from './lib/report.js';

/** Nodes sharing one loopback source address in the scale-out fleet. */
const PER_ADDRESS = 4;
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One instance's memory with its share of the idle fleet. */
export interface InstanceMemory {
  name: string;
  /** Tunnels it held (HAProxy's current connections to it, once the fleet settled). */
  nodes: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  rssPerNodeKiB: number;
}

/** Session open → first byte, p50 and spread, through the instance holding the node and through another. */
export interface PeerSessionOpen {
  direct: ReturnType<typeof summarize>;
  /** Undefined when an instance cannot open a session on a node another holds; `refusal` then says what it answered. */
  peer?: ReturnType<typeof summarize>;
  refusal?: string;
}

/** What the scale-out part measured. */
export interface ClusterFigures {
  count: number;
  instances: number;
  /** HAProxy processes (replicas with one configuration) the fleet was spread over. */
  balancers: number;
  /** All nodes connecting at once through HAProxy: to one instance, and to all of them. */
  singleColdConnectMs: number;
  coldConnectMs: number;
  memory: InstanceMemory[];
  sessionOpen: PeerSessionOpen;
  victim: string;
  orphaned: number;
  /** From the SIGKILL until every node of the fleet is connected again. */
  backAfterMs: number;
}

/** The live instances' current connections on the main port, summed over every HAProxy process, by instance. */
async function tunnelsHeld(c: Cluster): Promise<Map<Instance, number>> {
  const held = new Map<Instance, number>();
  for (const inst of c.live) {
    let n = 0;
    for (const b of c.balancers) n += Number((await b.haproxy.serverStat('burrow', inst.name))?.scur ?? 0);
    held.set(inst, n);
  }
  return held;
}

/**
 * Connections one HAProxy process is given: it needs two descriptors per connection, and
 * the hard open-files limit here is 20 000 (`ulimit -n -H`), so one process tops out near
 * 9 000 nodes. A larger fleet is spread over balancer replicas with the same configuration.
 */
const PER_BALANCER = 6_000;
/** Nodes one fleet generator process holds at most. */
const PER_GENERATOR = 2_500;

/** How a fleet of `count` is spread: HAProxy processes, generator processes, nodes per generator. */
export function fleetLayout(count: number): { balancers: number; generators: number; perGenerator: number; maxconn: number } {
  const balancers = Math.max(1, Math.ceil(count / PER_BALANCER));
  // A multiple of the balancers, so each replica carries the same share.
  const generators = balancers * Math.max(1, Math.ceil(count / (balancers * PER_GENERATOR)));
  const perGenerator = Math.ceil(count / generators);
  return { balancers, generators, perGenerator, maxconn: perGenerator * (generators / balancers) + 500 };
}

/**
 * Tunnel set-ups (handshakes, and connects still being written to the store) each instance
 * admits at once. Every connect writes to the one database all instances share, and on 2
 * busy cores it takes some 30 ms: a backlog of 64 is about 2 s of work, well inside the
 * handshake and store timeouts, where the default 256 lets the queue outgrow them.
 */
const SETUPS = 64;

/** A cluster of `instances` for the bench: quiet logs, HAProxy replicas sized for the fleet. */
function benchCluster(instances: number, count: number, nodeArgs: string[]): Promise<Cluster> {
  const { balancers, maxconn } = fleetLayout(count);
  return Cluster.start({ instances, balancers, maxconn, serverConfig: { maxPendingHandshakes: SETUPS, maxTlsHandshakes: SETUPS }, env: { BURROW_LOG_LEVEL: 'warn', BURROW_NODE_ARGS: nodeArgs.join(' ') } });
}

/** Enrolls `count` fleet nodes, spread over the balancer replicas and over loopback source addresses. */
async function enrollFleet(c: Cluster, count: number, prefix: string): Promise<Fleet> {
  const token = (await c.adminJson<{ token: string }>(['enroll-token', 'create', '--auto-approve', '--uses', String(count), '--ttl', '2h'])).token;
  return Fleet.enroll({ serverUrl: c.url, serverUrls: c.balancers.map((b) => b.url), token, count, prefix, perAddress: PER_ADDRESS, perProcess: fleetLayout(count).perGenerator });
}

/** Time from the API call on `inst` to the first byte of the node's WebUI through the new session port. */
async function openToFirstByte(c: Cluster, inst: Instance, nodeId: string): Promise<number | string> {
  const t0 = performance.now();
  const r = await c.request<SessionView & { error?: { code: string } }>(inst, 'POST', '/v1/sessions', { body: { node: nodeId, service: 'webui' } });
  if (r.status !== 201) return r.body.error?.code ?? String(r.status);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, localAddress: '127.0.0.9' });
  try {
    const get = (url: string, cookie?: string) =>
      new Promise<string>((resolve, reject) => {
        https.get(url, { agent, headers: cookie ? { cookie } : {} }, (res) => {
          const set = (res.headers['set-cookie'] ?? []).map((x) => x.split(';')[0]).join('; ');
          res.once('data', () => resolve(set));
          res.once('end', () => resolve(set));
          res.resume();
        }).on('error', reject);
      });
    const cookie = await get(r.body.url);
    await get(`${new URL(r.body.url).origin}/1k`, cookie);
    return performance.now() - t0;
  } finally {
    agent.destroy();
    await c.request(inst, 'DELETE', `/v1/sessions/${r.body.id}`);
  }
}

/**
 * Session open → first byte for the node `nodeId` (a real agent with a `webui` service),
 * through the instance holding it and through another instance, `runs` times each.
 */
export async function measurePeerSessionOpen(c: Cluster, nodeId: string, runs: number): Promise<PeerSessionOpen> {
  const holder = (await c.holders()).get(nodeId);
  const other = c.live.find((i) => i !== holder);
  if (!holder || !other) throw new Error('the session-open bench needs its node held by one of two live instances');
  const direct: number[] = [];
  const peer: number[] = [];
  let refusal: string | undefined;
  for (let i = 0; i < runs; i++) {
    const d = await openToFirstByte(c, holder, nodeId);
    if (typeof d === 'string') throw new Error(`a session on ${holder.name} for the node it holds failed: ${d}`);
    direct.push(d);
    const p = await openToFirstByte(c, other, nodeId);
    if (typeof p === 'string') refusal = p;
    else peer.push(p);
  }
  return { direct: summarize(direct), ...(peer.length === runs ? { peer: summarize(peer) } : { refusal: refusal ?? 'failed' }) };
}

/** Cold connect of `count` idle nodes through HAProxy to one instance on PostgreSQL, in ms. */
async function singleInstanceColdConnect(count: number, nodeArgs: string[]): Promise<number> {
  const c = await benchCluster(1, count, nodeArgs);
  try {
    const fleet = await enrollFleet(c, count, 'single');
    try {
      fleet.start();
      return await fleet.waitConnected(count, 600_000);
    } finally {
      await fleet.close();
    }
  } finally {
    await c.close();
  }
}

/**
 * The scale-out part: `count` idle nodes from many loopback addresses, through HAProxy to
 * one instance and then to `instances` on one PostgreSQL database. Per instance RSS per
 * node, cold connect against one instance, session open through a peer against direct,
 * and how long a SIGKILLed instance's nodes take to be connected to the survivors.
 */
export async function measureCluster(o: { count: number; instances: number; originPort: number; nodeArgs: string[]; log: (m: string) => void }): Promise<ClusterFigures> {
  o.log(`cluster: ${o.count} nodes cold to one instance`);
  const singleColdConnectMs = await singleInstanceColdConnect(o.count, o.nodeArgs);
  o.log(`cluster: ${o.count} nodes cold to ${o.instances} instances`);
  const c = await benchCluster(o.instances, o.count, o.nodeArgs);
  try {
    const token = await c.enrollToken({ autoApprove: true });
    const webNode = await c.enroll('session-node', token, { services: { webui: `127.0.0.1:${o.originPort}` } });
    await c.runAgentHeld(webNode);
    const fleet = await enrollFleet(c, o.count, 'idle');
    try {
      const before = new Map(c.instances.map((i) => [i, rssKiB(i.process?.child.pid as number)]));
      fleet.start();
      const coldConnectMs = await fleet.waitConnected(o.count, 600_000);
      await settle(5_000);
      const held = await tunnelsHeld(c);
      const memory = c.instances.map((i) => {
        const after = rssKiB(i.process?.child.pid as number);
        const nodes = held.get(i) ?? 0;
        return { name: i.name, nodes, rssBeforeKiB: before.get(i) ?? 0, rssAfterKiB: after, rssPerNodeKiB: nodes > 0 ? (after - (before.get(i) ?? 0)) / nodes : 0 };
      });
      o.log('cluster: session open, direct and through a peer');
      const sessionOpen = await measurePeerSessionOpen(c, webNode.id, 20);

      const [victim, orphaned] = [...held].reduce((a, b) => (b[1] > a[1] ? b : a));
      o.log(`cluster: SIGKILL ${victim.name} (${orphaned} tunnels)`);
      const t0 = Date.now();
      await c.killInstance(victim);
      // The fleet notices the lost tunnels first; only then is "all connected" an answer.
      while ((await fleet.stats()).connected >= o.count && Date.now() - t0 < 30_000) await settle(50);
      await fleet.waitConnected(o.count, 600_000);
      return { count: o.count, instances: o.instances, balancers: c.balancers.length, singleColdConnectMs, coldConnectMs, memory, sessionOpen, victim: victim.name, orphaned, backAfterMs: Date.now() - t0 };
    } finally {
      await fleet.close();
    }
  } finally {
    await c.close();
  }
}

/** Rows for the scale-out figures. */
export function clusterRows(f: ClusterFigures): Row[] {
  const rate = (ms: number) => f.count / (ms / 1000);
  const via = `burrow cluster (${f.balancers} HAProxy)`;
  const rows: Row[] = f.memory.map((m) => ({ figure: `server RSS per idle node, ${m.name} of ${f.instances} (${m.nodes} nodes)`, path: via, value: m.rssPerNodeKiB, unit: 'KiB' }));
  rows.push(
    { figure: `cold connect rate ${f.count} nodes, 1 instance`, path: via, value: rate(f.singleColdConnectMs), unit: 'nodes/s' },
    {
      figure: `cold connect rate ${f.count} nodes, ${f.instances} instances`,
      path: via,
      value: rate(f.coldConnectMs),
      unit: 'nodes/s',
      ratio: { against: '1 instance', value: rate(f.coldConnectMs) / rate(f.singleColdConnectMs) },
    },
    { figure: `back after SIGKILL of ${f.victim} (${f.orphaned} nodes)`, path: via, value: f.backAfterMs / 1000, unit: 's' },
    { figure: 'session open → first byte p50, direct', path: via, value: f.sessionOpen.direct.median, unit: 'ms', spread: `${f.sessionOpen.direct.min.toFixed(1)}–${f.sessionOpen.direct.max.toFixed(1)} (n=${f.sessionOpen.direct.n})` },
  );
  const peer = f.sessionOpen.peer;
  if (peer) {
    rows.push({ figure: 'session open → first byte p50, through a peer', path: via, value: peer.median, unit: 'ms', spread: `${peer.min.toFixed(1)}–${peer.max.toFixed(1)} (n=${peer.n})`, ratio: { against: 'direct', value: peer.median / f.sessionOpen.direct.median } });
  } else {
    rows.push({ figure: `session open through a peer: refused (${f.sessionOpen.refusal ?? ''})`, path: via, value: 0, unit: '' });
  }
  return rows;
}
