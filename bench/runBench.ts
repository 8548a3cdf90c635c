import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, start, stop, waitForPort } from './lib/procs.js';
import { rssKiB, treeCpuSeconds } from './lib/procStats.js';
import { openSshReverse, startSshd, startStunnelPair } from './lib/opensshPath.js';
import { sessionAccess, startBurrowServer, startNode } from './lib/burrowStack.js';
import { report, type Row } from './lib/report.js';
import { measurePath, pathRows, type BenchPath, type PathFigures } from './throughputBench.js';
import { measureSessionOpen } from './sessionOpenBench.js';
import { measureScale, scaleRows, type ScaleFigures } from './scaleBench.js';
import { FLOOR_RELAY, floorRows, measureFloor, startFloorRelay, type FloorFigures } from './floorBench.js';
import { measurePeerHop, peerHopRows, type PeerHopFigures } from './peerHopBench.js';
import { clusterRows, measureCluster, type ClusterFigures } from './clusterBench.js';

/**
 * `make bench`: burrow against OpenSSH on the same machine in the same run, so ratios
 * hold even on a busy machine. Sizes can be lowered for a quick look:
 * BENCH_RUNS, BENCH_DOWNLOAD_MB, BENCH_WRK_SECONDS, BENCH_NODES (comma list), and
 * BENCH_PARTS (comma list of direct, ssh, stunnel, burrow, floor, peer, scale, cluster; all by default),
 * BENCH_CLUSTER_NODES and BENCH_CLUSTER_INSTANCES (the scale-out part: 1000 nodes and 3 instances
 * by default; `BENCH_PARTS=cluster BENCH_CLUSTER_NODES=10000 make bench` is the 10 000-node run,
 * its fleet spread over one HAProxy process per 6000 nodes, each with the same configuration).
 * BENCH_SERVER_NODE_ARGS / BENCH_AGENT_NODE_ARGS pass node flags (e.g. --cpu-prof) to
 * burrow's processes for profiling; BENCH_TRACE=1 prints how many nodes are back every
 * half second while the scale part waits for them.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DOWNLOAD = Number(process.env.BENCH_DOWNLOAD_MB ?? 1024) * 1024 * 1024;
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 3);
const NODES = (process.env.BENCH_NODES ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
const GCM = 'aes128-gcm@openssh.com';
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const AGENT_NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'direct,ssh,stunnel,burrow,floor,peer,scale,cluster').split(','));
const CLUSTER_NODES = Number(process.env.BENCH_CLUSTER_NODES ?? 1_000);
const CLUSTER_INSTANCES = Number(process.env.BENCH_CLUSTER_INSTANCES ?? 3);

async function main(): Promise<void> {
  await run('bash', [new URL('../../scripts/bench-deps.sh', import.meta.url).pathname]);
  const dir = await mkdtemp(join(tmpdir(), 'burrow-bench-'));
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const originPort = await freePort();
  const origin = start(process.execPath, [new URL('./originServer.js', import.meta.url).pathname, String(originPort)], join(dir, 'origin.log'));
  await waitForPort(originPort);
  const opts = { runs: RUNS, downloadBytes: DOWNLOAD, wrkSeconds: WRK_SECONDS };
  // The paths held to targets (burrow's and its floor's) need their baselines in the run.
  const hasTargets = PARTS.has('burrow') || PARTS.has('floor');
  const figures: Record<string, PathFigures> = {};
  const measure = async (p: BenchPath) => {
    log(`measuring ${p.name}`);
    figures[p.name] = await measurePath(p, opts);
  };

  if (PARTS.has('direct')) await measure({ name: 'direct', base: `http://127.0.0.1:${originPort}`, headers: [], pids: () => [] });

  const sshd = await startSshd(join(dir, 'sshd'));
  const sshdPids = () => [sshd.sshd.pid as number];
  const sshPaths = [
    ['ssh -N -R', undefined, false],
    [`ssh -N -R ${GCM}`, GCM, false],
    ['ssh -tt -R', undefined, true],
    [`ssh -tt -R ${GCM}`, GCM, true],
  ] as const;
  for (const [name, cipher, interactive] of sshPaths.filter(([n]) => PARTS.has('ssh') || (hasTargets && n === 'ssh -tt -R'))) {
    const t = await openSshReverse({ dir, sshdPort: sshd.port, key: sshd.key, originPort, ...(cipher ? { cipher } : {}), interactive });
    await measure({ name, base: `http://127.0.0.1:${t.port}`, headers: [], pids: () => [...t.pids(), ...sshdPids()] });
    await t.close();
  }
  const stunnel = await startStunnelPair(dir, sshd.port);
  const stunnelPaths = [
    [`ssh -N -R in stunnel ${GCM}`, false],
    [`ssh -tt -R in stunnel ${GCM}`, true],
  ] as const;
  for (const [name, interactive] of stunnelPaths.filter(([, tt]) => PARTS.has('stunnel') || (hasTargets && !tt))) {
    const t = await openSshReverse({ dir, sshdPort: sshd.port, key: sshd.key, originPort, cipher: GCM, interactive, viaPort: stunnel.clientPort });
    await measure({ name, base: `http://127.0.0.1:${t.port}`, headers: [], pids: () => [...t.pids(), ...sshdPids(), ...stunnel.pids] });
    await t.close();
  }
  await stunnel.close();
  await stop(sshd.sshd);

  let open: Awaited<ReturnType<typeof measureSessionOpen>> | undefined;
  let agentRss: number | undefined;
  let freshAgentRss: number | undefined;
  let agentCpuPct: number | undefined;
  if (PARTS.has('burrow')) {
    log('starting burrow');
    const server = await startBurrowServer(join(dir, 'burrow'), { nodeArgs: SERVER_NODE_ARGS });
    const node = await startNode(server, join(dir, 'burrow'), 'bench-node', originPort, AGENT_NODE_ARGS);
    // Just online, before it has carried anything: what an agent costs that never served a session.
    await new Promise((r) => setTimeout(r, 1000));
    freshAgentRss = rssKiB(node.pid as number);
    const session = await server.admin<{ url: string }>('session', 'open', 'bench-node');
    const access = await sessionAccess(session.url);
    await measure({ name: 'burrow session', base: access.base, headers: access.headers, pids: () => [server.process.pid as number, node.pid as number] });

    log('measuring session open latency');
    open = await measureSessionOpen(server, 'bench-node', 30);
    log('measuring the idle agent');
    await new Promise((r) => setTimeout(r, 2000));
    const cpu0 = treeCpuSeconds([node.pid as number]);
    await new Promise((r) => setTimeout(r, 10_000));
    agentCpuPct = ((treeCpuSeconds([node.pid as number]) - cpu0) / 10) * 100;
    agentRss = rssKiB(node.pid as number);
    await stop(node);
    await server.close();
  }

  let floor: FloorFigures | undefined;
  if (PARTS.has('floor')) {
    const relay = await startFloorRelay(originPort);
    try {
      await measure(relay.path);
    } finally {
      await relay.close();
    }
    log('measuring the memory floor: Node, ws and ssh2 without burrow');
    floor = await measureFloor(NODES[NODES.length - 1] ?? 1000);
  }

  let peerHop: PeerHopFigures | undefined;
  if (PARTS.has('peer')) {
    log('measuring a node channel directly and through a peer hop');
    peerHop = await measurePeerHop(Math.min(DOWNLOAD, 256 * 1024 * 1024), Math.max(RUNS, 3));
  }

  const scale: ScaleFigures[] = [];
  for (const count of PARTS.has('scale') ? NODES : []) {
    log(`scale: ${count} idle nodes`);
    const s = await startBurrowServer(join(dir, `scale-${count}`), { sessionPorts: '40000-40100', nodeArgs: SERVER_NODE_ARGS });
    try {
      scale.push(await measureScale(s, count));
    } finally {
      await s.close();
    }
  }
  let cluster: ClusterFigures | undefined;
  if (PARTS.has('cluster')) cluster = await measureCluster({ count: CLUSTER_NODES, instances: CLUSTER_INSTANCES, originPort, nodeArgs: SERVER_NODE_ARGS, log });
  await stop(origin);

  const stunnelFig = figures[`ssh -N -R in stunnel ${GCM}`];
  const ttFig = figures['ssh -tt -R'];
  const rows: Row[] = [];
  for (const [name, f] of Object.entries(figures)) {
    rows.push(...pathRows(name, f, { ...(name === 'direct' ? {} : { stunnel: stunnelFig, tt: ttFig }), targets: name === 'burrow session' || name === FLOOR_RELAY }));
  }
  if (open) rows.push({ figure: 'session open → first byte p50', path: 'burrow', value: open.median, unit: `ms (p99 ${open.p99.toFixed(1)} ms)`, spread: `${open.min.toFixed(1)}–${open.max.toFixed(1)} (n=${open.n})`, ratio: { against: 'target 15 ms', value: open.median / 15, target: '<=1.00', met: open.median <= 15 } });
  if (freshAgentRss !== undefined) rows.push({ figure: 'fresh agent RSS', path: 'burrow', value: freshAgentRss / 1024, unit: 'MiB', ratio: { against: 'target 50 MiB', value: freshAgentRss / 1024 / 50, target: '<=1.00', met: freshAgentRss / 1024 <= 50 } });
  if (agentRss !== undefined) rows.push({ figure: 'idle agent RSS', path: 'burrow', value: agentRss / 1024, unit: 'MiB', ratio: { against: 'target 50 MiB', value: agentRss / 1024 / 50, target: '<=1.00', met: agentRss / 1024 <= 50 } });
  if (agentCpuPct !== undefined) rows.push({ figure: 'idle agent CPU', path: 'burrow', value: agentCpuPct, unit: '% of a core' });
  for (const s of scale) rows.push(...scaleRows(s));
  if (floor) rows.push(...floorRows(floor));
  if (peerHop) rows.push(...peerHopRows(peerHop));
  if (cluster) rows.push(...clusterRows(cluster));
  await report(rows, { figures, open, freshAgentRss, agentRss, agentCpuPct, floor, peerHop, scale, cluster, settings: { RUNS, DOWNLOAD, WRK_SECONDS, NODES, CLUSTER_NODES, CLUSTER_INSTANCES } });
  await rm(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
