import { run } from './procs.js';

/** What wrk measured for one run. */
export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v;
}

/** Runs wrk against a URL with `connections` keep-alive connections for `seconds`. */
export async function wrk(url: string, connections: number, seconds: number, headers: string[] = []): Promise<WrkResult> {
  const args = ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const out = await run('wrk', args);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? toMs(m[1] as string, m[2] as string) : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out) ? Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1]) : 0;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockets = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, p50ms: pct('50'), p99ms: pct('99'), errors: errors + sockets };
}

/** Downloads a URL to nowhere with curl; returns MB/s (10^6 bytes) and seconds. */
export async function download(url: string, headers: string[] = []): Promise<{ mbps: number; seconds: number; bytes: number }> {
  const out = await run('curl', ['-sk', '--fail', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', ...headers.flatMap((h) => ['-H', h]), url]);
  const [bytes, seconds] = out.trim().split(' ').map(Number) as [number, number];
  return { mbps: bytes / 1e6 / seconds, seconds, bytes };
}
