import { join } from 'node:path';
import { download, wrk, type WrkResult } from './lib/load.js';
import { treeCpuSeconds, summarize } from './lib/procStats.js';
import type { Row } from './lib/report.js';

/** A path under test: where a client connects, and which processes do its work. */
export interface BenchPath {
  name: string;
  base: string;
  headers: string[];
  pids: () => number[];
}

const GiB = 1024 ** 3;

/** Download, request-rate and latency figures of one path, medians of `runs`. */
export async function measurePath(p: BenchPath, o: { runs: number; downloadBytes: number; wrkSeconds: number }) {
  const mbps: number[] = [];
  const cpuPerGiB: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const before = treeCpuSeconds(p.pids());
    const d = await download(`${p.base}/bytes/${o.downloadBytes}`, p.headers);
    if (d.bytes !== o.downloadBytes) throw new Error(`${p.name}: downloaded ${d.bytes} of ${o.downloadBytes} bytes`);
    mbps.push(d.mbps);
    if (p.pids().length) cpuPerGiB.push(((treeCpuSeconds(p.pids()) - before) * GiB) / o.downloadBytes);
  }
  const rate: Record<number, WrkResult[]> = { 2: [], 50: [] };
  for (const c of [2, 50]) {
    for (let i = 0; i < o.runs; i++) rate[c]?.push(await wrk(`${p.base}/1k`, c, o.wrkSeconds, p.headers));
  }
  return { mbps: summarize(mbps), cpuPerGiB: cpuPerGiB.length ? summarize(cpuPerGiB) : undefined, rate };
}

export type PathFigures = Awaited<ReturnType<typeof measurePath>>;

const spread = (s: { min: number; max: number; n: number }, digits = 1) => `${s.min.toFixed(digits)}–${s.max.toFixed(digits)} (n=${s.n})`;

/** Rows for one path, with ratios against the baselines named. */
export function pathRows(name: string, f: PathFigures, base: { stunnel?: PathFigures; tt?: PathFigures; targets: boolean }): Row[] {
  const rows: Row[] = [];
  const st = base.stunnel;
  rows.push({
    figure: '1 GiB download',
    path: name,
    value: f.mbps.median,
    unit: 'MB/s',
    spread: spread(f.mbps),
    ...(st ? { ratio: { against: 'ssh -R in stunnel', value: f.mbps.median / st.mbps.median, ...(base.targets ? { target: '>=0.80', met: f.mbps.median / st.mbps.median >= 0.8 } : {}) } } : {}),
  });
  if (f.cpuPerGiB) {
    const r = st?.cpuPerGiB ? f.cpuPerGiB.median / st.cpuPerGiB.median : undefined;
    rows.push({
      figure: 'CPU per GiB',
      path: name,
      value: f.cpuPerGiB.median,
      unit: 'cpu-s',
      spread: spread(f.cpuPerGiB, 2),
      ...(r !== undefined ? { ratio: { against: 'ssh -R in stunnel', value: r, ...(base.targets ? { target: '<=1.30', met: r <= 1.3 } : {}) } } : {}),
    });
  }
  for (const c of [2, 50] as const) {
    const runs = f.rate[c] ?? [];
    const rps = summarize(runs.map((r) => r.rps));
    const p99 = summarize(runs.map((r) => r.p99ms));
    const ttRuns = base.tt?.rate[c];
    const ttRps = ttRuns ? summarize(ttRuns.map((r) => r.rps)).median : undefined;
    const ttP99 = ttRuns ? summarize(ttRuns.map((r) => r.p99ms)).median : undefined;
    rows.push({
      figure: `1 KiB req/s c=${c}`,
      path: name,
      value: rps.median,
      unit: 'req/s',
      spread: spread(rps, 0),
      ...(ttRps ? { ratio: { against: 'ssh -tt -R', value: rps.median / ttRps, ...(base.targets ? { target: '>=1.00', met: rps.median >= ttRps } : {}) } } : {}),
    });
    rows.push({
      figure: `p50/p99 c=${c}`,
      path: name,
      value: p99.median,
      unit: `ms p99 (p50 ${summarize(runs.map((r) => r.p50ms)).median.toFixed(2)} ms)`,
      spread: spread(p99, 2),
      ...(ttP99 ? { ratio: { against: 'ssh -tt -R p99', value: p99.median / ttP99, ...(base.targets ? { target: '<=1.00', met: p99.median <= ttP99 } : {}) } } : {}),
    });
  }
  return rows;
}

/** Where the bench keeps logs of one path. */
export const logDir = (root: string, name: string) => join(root, name.replace(/[^\w-]+/g, '_'));
