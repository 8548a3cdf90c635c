import { fork, type ChildProcess } from 'node:child_process';
import { REPO } from './procs.js';

interface Stats {
  connected: number;
  attempts: number;
  failures: number;
  rssKiB: number;
}

/** Several load-generator processes holding `count` idle nodes between them. */
export class Fleet {
  private readonly procs: ChildProcess[] = [];

  private constructor() {}

  /**
   * Enrolls the nodes (they do not connect until `start()`); with `perAddress`, that many share
   * each loopback source address. With `serverUrls` (balancer replicas), generator process i
   * enrolls and connects through `serverUrls[i % length]`.
   */
  static async enroll(o: { serverUrl: string; serverUrls?: readonly string[]; token: string; count: number; perProcess?: number; prefix: string; perAddress?: number }): Promise<Fleet> {
    const fleet = new Fleet();
    const per = o.perProcess ?? 2500;
    const waits: Promise<void>[] = [];
    for (let i = 0, n = 0; n < o.count; i++, n += per) {
      const count = Math.min(per, o.count - n);
      const serverUrl = o.serverUrls?.length ? (o.serverUrls[i % o.serverUrls.length] as string) : o.serverUrl;
      const child = fork(`${REPO}dist/bench/idleNodeFleet.js`, [JSON.stringify({ serverUrl, token: o.token, count, prefix: `${o.prefix}${i}`, firstIndex: n, ...(o.perAddress ? { perAddress: o.perAddress } : {}) })], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        execArgv: ['--max-old-space-size=4096'],
      });
      fleet.procs.push(child);
      waits.push(
        new Promise((resolve, reject) => {
          child.on('message', (m: { type: string; message?: string }) => {
            if (m.type === 'enrolled') resolve();
            if (m.type === 'error') reject(new Error(`fleet: ${m.message ?? ''}`));
          });
          child.once('exit', (code) => reject(new Error(`fleet process exited ${code}`)));
        }),
      );
    }
    await Promise.all(waits);
    return fleet;
  }

  /** Summed stats of every generator process. */
  async stats(): Promise<Stats> {
    const all = await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<Stats>((resolve) => {
            const onMessage = (m: Stats & { type: string }) => {
              if (m.type !== 'stats') return;
              p.off('message', onMessage);
              resolve(m);
            };
            p.on('message', onMessage);
            p.send({ type: 'stats' });
          }),
      ),
    );
    return all.reduce((a, s) => ({ connected: a.connected + s.connected, attempts: a.attempts + s.attempts, failures: a.failures + s.failures, rssKiB: a.rssKiB + s.rssKiB }), { connected: 0, attempts: 0, failures: 0, rssKiB: 0 });
  }

  /** Lets every node connect. */
  start(): void {
    for (const p of this.procs) p.send({ type: 'start' });
  }

  /** Waits until `count` nodes are connected; returns the ms it took. */
  async waitConnected(count: number, timeoutMs: number, onTick?: () => void): Promise<number> {
    const t0 = Date.now();
    let lastTrace = 0;
    for (;;) {
      const s = await this.stats();
      if (process.env.BENCH_TRACE && Date.now() - lastTrace >= 500) {
        lastTrace = Date.now();
        process.stderr.write(`[fleet] +${Date.now() - t0} ms connected ${s.connected} attempts ${s.attempts} failures ${s.failures}\n`);
      }
      if (s.connected >= count) break;
      if (Date.now() - t0 > timeoutMs) throw new Error(`only ${(await this.stats()).connected} of ${count} nodes connected after ${timeoutMs} ms`);
      onTick?.();
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - t0;
  }

  /** Stops every node and generator process. */
  async close(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.send({ type: 'stop' });
            setTimeout(() => p.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}
