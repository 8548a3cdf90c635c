import { mkdir, writeFile } from 'node:fs/promises';
import { REPO } from './procs.js';

/** One row of the bench table. */
export interface Row {
  figure: string;
  path: string;
  value: number;
  unit: string;
  spread?: string;
  /** Ratio to the named baseline of the same run, and whether higher is better. */
  ratio?: { against: string; value: number; target?: string; met?: boolean };
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Prints the table and writes it with the raw samples under bench/results/. */
export async function report(rows: Row[], raw: unknown): Promise<string> {
  const header = ['figure', 'path', 'value', 'spread', 'ratio', 'target'];
  const lines = rows.map((r) => [
    r.figure,
    r.path,
    `${fmt(r.value)} ${r.unit}`,
    r.spread ?? '',
    r.ratio ? `${r.ratio.value.toFixed(2)}x ${r.ratio.against}` : '',
    r.ratio?.target ? `${r.ratio.target} ${r.ratio.met ? 'met' : 'MISSED'}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmtLine = (l: string[]) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const text = [fmtLine(header), fmtLine(widths.map((w) => '-'.repeat(w))), ...lines.map(fmtLine)].join('\n');
  process.stdout.write(`\n${text}\n`);
  const dir = `${REPO}bench/results`;
  await mkdir(dir, { recursive: true });
  const file = `${dir}/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify({ at: new Date().toISOString(), rows, raw }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
  return file;
}
