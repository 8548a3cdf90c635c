import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { SocketTally, type CountedSocket } from '../../shared/socketTally.js';
import { formatByteSize } from '../../shared/byteSize.js';
import { trafficMonth } from '../../shared/trafficMonth.js';
import type { Database } from '../store/database.js';
import { recordAudit } from '../store/auditStore.js';
import { addNodeTraffic, claimBudgetNotice, getNodeBudget, getNodeTraffic, listNodeBudgets, type NodeBudgetRecord } from '../store/dataBudgetStore.js';
import { getNode } from '../store/nodeStore.js';
import { budgetStanding } from './budgetStanding.js';
import { TunnelThrottle, type MeteredSocket, type PausableStream } from './tunnelThrottle.js';

/** What counting needs. */
export interface TunnelTrafficDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** How often counts are added to the store and budgets judged. */
  flushMs: number;
}

interface NodeTunnels {
  tally: SocketTally;
  throttles: Set<TunnelThrottle>;
  /** This node's flushes in order: an increment never races the next. */
  flushing: Promise<void>;
}

/**
 * Counts the bytes of every node's tunnel on this instance (its TLS connection, so SSH and
 * WebSocket overhead, status and keepalives count too) and adds them to the node's monthly
 * count in the store every `flushMs` and when a tunnel ends. After each addition it judges
 * the node's budget: the 80 % and 100 % notices (audited once a month, across instances, and
 * read by the alert engine) and the throttle of a spent budget.
 */
export class TunnelTraffic {
  private readonly nodes = new Map<string, NodeTunnels>();
  private timer: TimerHandle | undefined;
  private closed = false;
  /** The periodic flush under way (its end schedules the next). */
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly d: TunnelTrafficDeps) {}

  /** Starts the periodic flush. */
  start(): void {
    this.schedule();
  }

  /** Counts a node's tunnel from its first byte, and throttles it while its budget says so. */
  track(nodeId: string, socket: CountedSocket & MeteredSocket, stream: PausableStream): void {
    if (this.closed) return;
    let entry = this.nodes.get(nodeId);
    if (!entry) {
      entry = { tally: new SocketTally(), throttles: new Set(), flushing: Promise.resolve() };
      this.nodes.set(nodeId, entry);
    }
    const tunnels = entry;
    tunnels.tally.add(socket);
    const throttle = new TunnelThrottle(this.d.clock, socket, stream);
    tunnels.throttles.add(throttle);
    socket.once('close', () => {
      throttle.close();
      tunnels.throttles.delete(throttle);
      void this.flush(nodeId);
    });
    // Judged at once: a node reconnecting with its budget spent is throttled from the start.
    void this.flush(nodeId);
  }

  /** Adds a node's new bytes to the store and judges its budget now (its budget changed). */
  judge(nodeId: string): Promise<void> {
    return this.flush(nodeId);
  }

  /** Adds every node's new bytes to the store now and judges their budgets (read once for all). */
  async flushAll(): Promise<void> {
    if (this.nodes.size === 0) return;
    const budgets = await listNodeBudgets(this.d.db).catch((err: Error) => {
      this.d.log.warn({ err: err.message }, 'could not read data budgets');
      return undefined;
    });
    await Promise.all([...this.nodes.keys()].map((id) => this.flush(id, budgets)));
  }

  /** The rate (bytes/s) a node's tunnels are held to here, or null when they run free. */
  rateOf(nodeId: string): number | null {
    const throttles = [...(this.nodes.get(nodeId)?.throttles ?? [])];
    return throttles[0]?.bytesPerSecond ?? null;
  }

  /** Resolves once the flush under way and every node's pending flush are done (for tests). */
  async settled(): Promise<void> {
    await this.round;
    await Promise.all([...this.nodes.values()].map((n) => n.flushing));
  }

  /** Stops the timer and writes the last counts; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const n of this.nodes.values()) for (const t of n.throttles) t.close();
    await this.flushAll();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.d.clock.setTimeout(() => {
      this.round = this.flushAll().finally(() => this.schedule());
    }, this.d.flushMs);
  }

  /** Flushes one node; `budgets`, when given, are every budget as just read (a periodic round). */
  private flush(nodeId: string, budgets?: Map<string, NodeBudgetRecord>): Promise<void> {
    const entry = this.nodes.get(nodeId);
    if (!entry) return Promise.resolve();
    entry.flushing = entry.flushing
      .then(() => this.flushNode(nodeId, entry, budgets))
      .catch((err: Error) => this.d.log.warn({ nodeId, err: err.message }, 'could not record tunnel traffic'));
    return entry.flushing;
  }

  private async flushNode(nodeId: string, entry: NodeTunnels, budgets: Map<string, NodeBudgetRecord> | undefined): Promise<void> {
    const { db, clock } = this.d;
    const now = clock.now();
    const month = trafficMonth(now);
    const delta = entry.tally.take();
    if (delta.bytesIn > 0 || delta.bytesOut > 0) await addNodeTraffic(db, nodeId, month, delta.bytesIn, delta.bytesOut);
    if (entry.tally.size === 0 && entry.throttles.size === 0 && this.nodes.get(nodeId) === entry) this.nodes.delete(nodeId);
    const budget = budgets ? budgets.get(nodeId) : await getNodeBudget(db, nodeId);
    if (!budget) {
      for (const t of entry.throttles) t.setRate(null);
      return;
    }
    const t = await getNodeTraffic(db, nodeId, month);
    const used = t.bytesIn + t.bytesOut;
    const standing = budgetStanding(budget, used, now);
    for (const th of entry.throttles) th.setRate(standing.throttled && !this.closed ? budget.rateBytes : null);
    if (standing.level === 'ok') return;
    const notices: ('warned' | 'exceeded')[] = standing.level === 'exceeded' ? ['warned', 'exceeded'] : ['warned'];
    for (const notice of notices) {
      if (!(await claimBudgetNotice(db, nodeId, notice, month))) continue;
      const node = await getNode(db, nodeId);
      const action = notice === 'warned' ? 'node.budget.warning' : 'node.budget.exceeded';
      const detail = { month, usedBytes: used, monthlyBytes: budget.monthlyBytes, percent: standing.percent, over: budget.over, overridden: standing.overridden };
      await recordAudit(db, { actor: 'system', action, target: nodeId, objectType: 'node', result: 'ok', groupId: node?.groupId ?? null, detail }, now);
      this.d.log.info({ nodeId, month, used: formatByteSize(used), limit: formatByteSize(budget.monthlyBytes), percent: standing.percent }, notice === 'warned' ? 'node reached 80 % of its data budget' : 'node spent its data budget');
    }
  }
}
