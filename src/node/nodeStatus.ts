import { statfs } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { parseServiceTarget } from '../shared/serviceTarget.js';
import type { NodeStatusReport } from '../shared/protocol.js';
import { AGENT_VERSION } from './agentVersion.js';

/** How long a local service may take to accept a TCP connection before it counts as down. */
const PROBE_TIMEOUT_MS = 2_000;

/** Tries a TCP connection to `target` (host:port, http(s)://host:port or tcp://host:port). */
export function probeService(target: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ reachable: boolean; error?: string }> {
  const parsed = parseServiceTarget(target);
  if (!parsed) return Promise.resolve({ reachable: false, error: 'not a service target' });
  const { host, port } = parsed;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: { reachable: boolean; error?: string }) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ reachable: false, error: 'timeout' }));
    socket.once('connect', () => done({ reachable: true }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ reachable: false, error: err.code ?? err.message }));
  });
}

/** What the agent knows about its schedule, added to each report. */
export interface ScheduleFacts {
  mode: NodeStatusReport['mode'];
  nextCheckInAt: number | null;
}

/** Gathers the node's health: uptime, load, memory, disk of `diskPath`, service reachability. */
export async function collectNodeStatus(services: Readonly<Record<string, string>>, diskPath: string, facts: ScheduleFacts): Promise<NodeStatusReport> {
  const probes = await Promise.all(Object.entries(services).map(async ([name, target]) => [name, await probeService(target)] as const));
  let disk: NodeStatusReport['disk'] = null;
  try {
    const s = await statfs(diskPath);
    disk = { path: diskPath, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    // A report without disk figures beats no report.
  }
  return {
    uptimeSeconds: Math.round(os.uptime()),
    load: os.loadavg(),
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    disk,
    agentVersion: AGENT_VERSION,
    services: Object.fromEntries(probes),
    mode: facts.mode,
    nextCheckInAt: facts.nextCheckInAt === null ? null : new Date(facts.nextCheckInAt).toISOString(),
  };
}
