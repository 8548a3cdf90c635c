import { join } from 'node:path';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { budgetNoticeSchema, type BudgetNotice, type NodeTrafficCount } from '../shared/dataBudget.js';
import { readJsonFile, writeFileAtomic } from '../shared/secureFiles.js';
import { SocketTally, type CountedSocket } from '../shared/socketTally.js';
import { trafficMonth } from '../shared/trafficMonth.js';

/** traffic.json in the node's home: the month's count on this end, and the budget the server last told. */
export const trafficFileSchema = z.object({
  month: z.string().regex(/^\d{4}-\d{2}$/),
  bytesIn: z.number().int().nonnegative(),
  bytesOut: z.number().int().nonnegative(),
  updatedAt: z.string(),
  budget: budgetNoticeSchema.nullable().default(null),
});
/** What traffic.json holds. */
export type TrafficFile = z.infer<typeof trafficFileSchema>;

/** Where the node keeps its count. */
export function trafficPath(home: string): string {
  return join(home, 'traffic.json');
}

/** The node's count as last written, if any (a broken file counts as none: the count starts over). */
export async function readTrafficFile(home: string): Promise<TrafficFile | undefined> {
  const parsed = trafficFileSchema.safeParse(await readJsonFile(trafficPath(home)).catch(() => undefined));
  return parsed.success ? parsed.data : undefined;
}

/** What counting needs. */
export interface NodeTrafficDeps {
  home: string;
  clock: Clock;
  log: Logger;
  /** How often the count is written to traffic.json (also when a tunnel ends and at stop). */
  flushMs: number;
}

/**
 * The agent's count of its tunnel's bytes this month (in = from the server, out = to it),
 * from each tunnel socket's first byte. Kept in traffic.json, written atomically every
 * `flushMs`, when a tunnel ends and at stop, so it survives restarts; a new month (UTC)
 * starts from zero. Reported to the server in status reports and shown by `burrow node status`.
 */
export class NodeTraffic {
  private readonly tally = new SocketTally();
  private count: TrafficFile;
  private timer: TimerHandle | undefined;
  private writes: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(private readonly d: NodeTrafficDeps, saved: TrafficFile | undefined) {
    const month = trafficMonth(d.clock.now());
    this.count = saved && saved.month === month ? saved : { month, bytesIn: 0, bytesOut: 0, updatedAt: new Date(d.clock.now()).toISOString(), budget: saved?.month === month ? saved.budget : null };
  }

  /** Picks up the count traffic.json holds, and starts writing it every `flushMs`. */
  static async open(d: NodeTrafficDeps): Promise<NodeTraffic> {
    const t = new NodeTraffic(d, await readTrafficFile(d.home));
    t.schedule();
    return t;
  }

  /** Counts a tunnel socket; its last bytes are written when it closes. */
  attach(socket: CountedSocket): void {
    this.tally.add(socket);
    socket.once('close', () => void this.flush());
  }

  /** The month's count so far, unwritten bytes included. */
  current(): NodeTrafficCount {
    this.gather();
    return { month: this.count.month, bytesIn: this.count.bytesIn, bytesOut: this.count.bytesOut };
  }

  /** Keeps the budget the server told (shown by `burrow node status`); undefined: none is set. */
  setBudget(notice: BudgetNotice | undefined): void {
    const next = notice ?? null;
    if (JSON.stringify(next) === JSON.stringify(this.count.budget)) return;
    this.count = { ...this.count, budget: next };
    this.dirty = true;
  }

  /** Writes the count now if it changed. */
  flush(): Promise<void> {
    this.gather();
    if (!this.dirty) return this.writes;
    this.dirty = false;
    const snapshot = { ...this.count, updatedAt: new Date(this.d.clock.now()).toISOString() };
    this.writes = this.writes
      .then(() => writeFileAtomic(trafficPath(this.d.home), `${JSON.stringify(snapshot, null, 2)}\n`, 0o600))
      .catch((err: Error) => this.d.log.warn({ err: err.message }, 'could not write traffic.json'));
    return this.writes;
  }

  /** Stops the timer and writes the last count. */
  async close(): Promise<void> {
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private schedule(): void {
    this.timer = this.d.clock.setTimeout(() => {
      void this.flush().finally(() => this.schedule());
    }, this.d.flushMs);
  }

  /** Moves what the sockets counted into the month's count; a new month starts from zero. */
  private gather(): void {
    const delta = this.tally.take();
    const month = trafficMonth(this.d.clock.now());
    if (month !== this.count.month) {
      this.count = { month, bytesIn: 0, bytesOut: 0, updatedAt: this.count.updatedAt, budget: null };
      this.dirty = true;
    }
    if (delta.bytesIn === 0 && delta.bytesOut === 0) return;
    this.count = { ...this.count, bytesIn: this.count.bytesIn + delta.bytesIn, bytesOut: this.count.bytesOut + delta.bytesOut };
    this.dirty = true;
  }
}
