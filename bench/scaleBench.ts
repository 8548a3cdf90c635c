import { treeCpuSeconds, rssKiB } from './lib/procStats.js';
import { Fleet } from './lib/fleet.js';
import type { BurrowServer } from './lib/burrowStack.js';
import type { Row } from './lib/report.js';

/** What holding `count` idle nodes, and getting them back after a crash, cost. */
export interface ScaleFigures {
  count: number;
  coldConnectMs: number;
  serverRssPerNodeKiB: number;
  /** The server's RSS before the nodes connect and once they all have (in the JSON, for reading the per-node figure's noise). */
  serverRssBeforeKiB: number;
  serverRssAfterKiB: number;
  fleetRssPerNodeKiB: number;
  restartMs: number;
  peakServerCpuPct: number;
  failedHandshakes: number;
}

/**
 * Enrolls `count` nodes in a fresh server, connects them all (cold), measures the server's
 * RSS per node, then SIGKILLs and restarts the server and times until all are back.
 */
export async function measureScale(server: BurrowServer, count: number): Promise<ScaleFigures> {
  const token = (await server.admin<{ token: string }>('enroll-token', 'create', '--auto-approve', '--uses', String(count), '--ttl', '2h')).token;
  const fleet = await Fleet.enroll({ serverUrl: server.url, token, count, prefix: `idle${count}-` });
  try {
    const rssBefore = rssKiB(server.process.pid as number);
    fleet.start();
    const coldConnectMs = await fleet.waitConnected(count, 300_000);
    // Let keepalives and allocation settle before reading memory.
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfter = rssKiB(server.process.pid as number);
    const before = await fleet.stats();

    await server.restart('SIGKILL');
    const t0 = Date.now();
    let peak = 0;
    let lastCpu = treeCpuSeconds([server.process.pid as number]);
    let lastAt = Date.now();
    const restartMs = await fleet.waitConnected(count, 300_000, () => {
      const now = Date.now();
      const cpu = treeCpuSeconds([server.process.pid as number]);
      if (now - lastAt >= 250) {
        peak = Math.max(peak, ((cpu - lastCpu) / ((now - lastAt) / 1000)) * 100);
        lastCpu = cpu;
        lastAt = now;
      }
    });
    const after = await fleet.stats();
    return {
      count,
      coldConnectMs,
      serverRssPerNodeKiB: (rssAfter - rssBefore) / count,
      serverRssBeforeKiB: rssBefore,
      serverRssAfterKiB: rssAfter,
      fleetRssPerNodeKiB: before.rssKiB / count,
      restartMs: Math.max(restartMs, Date.now() - t0 - 0),
      peakServerCpuPct: peak,
      failedHandshakes: after.failures - before.failures - count,
    };
  } finally {
    await fleet.close();
  }
}

/** Rows for the scale figures. */
export function scaleRows(s: ScaleFigures): Row[] {
  const ratio = s.restartMs / s.coldConnectMs;
  return [
    { figure: `cold connect ${s.count} nodes`, path: 'burrow', value: s.coldConnectMs / 1000, unit: 's' },
    {
      figure: `server RSS per idle node (${s.count})`,
      path: 'burrow',
      value: s.serverRssPerNodeKiB,
      unit: 'KiB',
      ratio: { against: 'target 40 KiB', value: s.serverRssPerNodeKiB / 40, target: '<=1.00', met: s.serverRssPerNodeKiB <= 40 },
    },
    {
      figure: `back after SIGKILL restart (${s.count})`,
      path: 'burrow',
      value: s.restartMs / 1000,
      unit: `s (peak server CPU ${s.peakServerCpuPct.toFixed(0)}%, ${s.failedHandshakes} failed handshakes)`,
      ratio: { against: 'cold connect', value: ratio, target: '<=1.50', met: ratio <= 1.5 },
    },
  ];
}
