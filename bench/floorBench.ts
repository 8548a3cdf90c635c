import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BURROW, REPO } from './lib/procs.js';
import type { Row } from './lib/report.js';
import type { BenchPath } from './throughputBench.js';

/**
 * The floor under burrow's figures: the same processes built from Node, ws and ssh2 alone
 * (floorTunnelServer / floorTunnelClient), measured in the same run and the same way as
 * burrow's, so a target below the floor shows as such rather than as something burrow's
 * code could still win.
 */
export interface FloorFigures {
  count: number;
  /** Bare TLS connections are cheap and their figure small: at least this many keep V8's young-generation swings (MiB) out of it. */
  tlsCount: number;
  /** RSS of a one-tunnel ws + ssh2 client, 1 s after its SSH session is up (as the fresh agent's). */
  agentFloorKiB: number;
  /** Server RSS per idle connection: a bare TLS socket, then a ws + ssh2 tunnel. */
  tlsPerConnectionKiB: number;
  tunnelPerConnectionKiB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The V8 flags bin/burrow starts a command with (read from the launcher, so they cannot drift). */
export function burrowNodeFlags(command: 'server start' | 'node run'): string[] {
  const line = readFileSync(BURROW, 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith(`"${command}")`));
  const flags = /tuning="([^"]*)"/.exec(line ?? '')?.[1];
  if (flags === undefined) throw new Error(`${BURROW} has no tuning for "${command}"`);
  return flags.split(' ').filter(Boolean);
}

type FloorMode = 'tls' | 'tunnel' | 'relay';

function forkFloor(file: string, arg: string, execArgv: string[]): ChildProcess {
  return fork(`${REPO}dist/bench/${file}`, [arg], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
}

function ask<T>(child: ChildProcess, type: string, send?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`${String(child.spawnfile)} exited (${code}) before answering ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (send) child.send({ type: send });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** One floor server (run with the server's V8 flags) and the client processes connected to it. */
class FloorProcesses {
  private readonly clients: ChildProcess[] = [];

  private constructor(
    private readonly mode: FloorMode,
    private readonly server: ChildProcess,
    private readonly port: number,
    /** The TLS port standing for a session port (`relay` mode only). */
    readonly relayPort: number,
  ) {}

  static async start(mode: FloorMode): Promise<FloorProcesses> {
    const server = forkFloor('floorTunnelServer.js', mode, burrowNodeFlags('server start'));
    try {
      const { port, relayPort } = await ask<{ port: number; relayPort: number }>(server, 'listening');
      return new FloorProcesses(mode, server, port, relayPort);
    } catch (err) {
      await stopChild(server);
      throw err;
    }
  }

  /** Starts a client process holding `count` connections; throws unless all came up. */
  async connect(count: number, execArgv: string[], originPort?: number): Promise<ChildProcess> {
    const client = forkFloor('floorTunnelClient.js', JSON.stringify({ port: this.port, mode: this.mode, count, originPort }), execArgv);
    this.clients.push(client);
    const { connected } = await ask<{ connected: number }>(client, 'up');
    if (connected !== count) throw new Error(`floor: only ${connected} of ${count} ${this.mode} connections came up`);
    return client;
  }

  /** The RSS of the server, or of one of its clients. */
  async rssKiB(child: ChildProcess = this.server): Promise<number> {
    return (await ask<{ rssKiB: number }>(child, 'rss', 'rss')).rssKiB;
  }

  pids(): number[] {
    return [this.server, ...this.clients].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  async close(): Promise<void> {
    for (const client of this.clients) await stopChild(client);
    await stopChild(this.server);
  }
}

/**
 * Server RSS per idle connection of one mode, at `count` connections: what the second
 * half of them added. The first half is the warm-up: a fresh Node process grows its heaps
 * and compiles its code on the first few hundred connections (~95 KiB each for tunnels,
 * measured), as burrow's server does on the enrollments that measureScale runs before
 * its first reading.
 */
async function perConnection(mode: 'tls' | 'tunnel', count: number, settleMs: number): Promise<number> {
  const floor = await FloorProcesses.start(mode);
  const half = Math.max(1, Math.floor(count / 2));
  const connectHalf = async () => {
    await floor.connect(half, ['--max-old-space-size=4096']);
    // Let keepalives and allocation settle before reading memory, as measureScale does.
    await sleep(settleMs);
    return floor.rssKiB();
  };
  try {
    const before = await connectHalf();
    const after = await connectHalf();
    return (after - before) / half;
  } finally {
    await floor.close();
  }
}

/** RSS of a client holding one tunnel, read as the fresh agent's is. */
async function agentFloor(): Promise<number> {
  const floor = await FloorProcesses.start('tunnel');
  try {
    const client = await floor.connect(1, burrowNodeFlags('node run'));
    await sleep(1000);
    return await floor.rssKiB(client);
  } finally {
    await floor.close();
  }
}

/** The name of the relay floor's path in the table. */
export const FLOOR_RELAY = 'floor: TLS port → wss + ssh2, bytes only';

/**
 * The relay floor in front of `originPort`, as a path for measurePath: a TLS port whose
 * connections are piped into forwarded-tcpip channels of one ws + ssh2 tunnel, and from
 * the client end to the origin. It is burrow's data path with Node, ws and ssh2 and none
 * of burrow's work (HTTP heads, cookies, admission, store).
 */
export async function startFloorRelay(originPort: number): Promise<{ path: BenchPath; close: () => Promise<void> }> {
  const floor = await FloorProcesses.start('relay');
  try {
    await floor.connect(1, burrowNodeFlags('node run'), originPort);
  } catch (err) {
    await floor.close();
    throw err;
  }
  const pids = floor.pids();
  return { path: { name: FLOOR_RELAY, base: `https://127.0.0.1:${floor.relayPort}`, headers: [], pids: () => pids }, close: () => floor.close() };
}

/** The floor at `count` connections; `settleMs` is the wait before each server reading (5 s as measureScale's). */
export async function measureFloor(count: number, settleMs = 5000, minTlsCount = 4000): Promise<FloorFigures> {
  const tlsCount = Math.max(count, minTlsCount);
  return {
    count,
    tlsCount,
    agentFloorKiB: await agentFloor(),
    tlsPerConnectionKiB: await perConnection('tls', tlsCount, settleMs),
    tunnelPerConnectionKiB: await perConnection('tunnel', count, settleMs),
  };
}

/** Rows for the floor figures, against the targets burrow's own rows are held to. */
export function floorRows(f: FloorFigures): Row[] {
  const agentMiB = f.agentFloorKiB / 1024;
  const last = (n: number) => `last ${Math.max(1, Math.floor(n / 2))} of ${n}`;
  const perNode = (figure: string, kib: number): Row => ({ figure, path: 'floor', value: kib, unit: 'KiB', ratio: { against: 'target 40 KiB', value: kib / 40, target: '<=1.00', met: kib <= 40 } });
  return [
    { figure: 'agent RSS, one ws + ssh2 tunnel, no burrow code', path: 'floor', value: agentMiB, unit: 'MiB', ratio: { against: 'target 50 MiB', value: agentMiB / 50, target: '<=1.00', met: agentMiB <= 50 } },
    perNode(`server RSS per idle TLS connection, Node only (${last(f.tlsCount)})`, f.tlsPerConnectionKiB),
    perNode(`server RSS per idle ws + ssh2 tunnel, no burrow code (${last(f.count)})`, f.tunnelPerConnectionKiB),
  ];
}
