import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { Clock } from '../../shared/clock.js';
import type { ConditionState, StatusValue } from '../../shared/conditions.js';
import type { NodeConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import { readJsonFile, writeFileAtomic } from '../../shared/secureFiles.js';
import { nodePaths } from '../nodeHome.js';
import { admitAdminRules } from './adminConditionPolicy.js';
import { ConditionMonitor, type WatchedRule } from './conditionMonitor.js';

/** Percent of the disk holding `home` and of memory in use, or the 1-minute load. */
export async function nodeStatusValue(which: StatusValue, home: string): Promise<number> {
  if (which === 'load') return os.loadavg()[0] ?? 0;
  if (which === 'memory') return ((os.totalmem() - os.freemem()) / os.totalmem()) * 100;
  const s = await statfs(home);
  return s.blocks === 0 ? 0 : ((s.blocks - s.bavail) / s.blocks) * 100;
}

/** What the agent's conditions need. */
export interface NodeConditionsDeps {
  home: string;
  clock: Clock;
  log: Logger;
  /** Told when a state changes: every state now, and the rules that began firing. */
  onChange: (states: ConditionState[], nowFiring: WatchedRule[]) => void;
}

/**
 * The agent's condition rules: the operator's from node.json and the administrators' as
 * the server last delivered them (kept in the home, so they are watched while the node is
 * away), the latter admitted by the node's own policy each time either side changes.
 */
export class NodeConditions {
  private readonly monitor: ConditionMonitor;
  private adminRaw: unknown[] = [];
  private config?: NodeConfig;
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly d: NodeConditionsDeps) {
    this.monitor = new ConditionMonitor({ clock: d.clock, log: d.log, statusValue: (w) => nodeStatusValue(w, d.home), onChange: d.onChange });
  }

  /** Loads the administrators' rules kept here and starts watching with `config`. */
  async start(config: NodeConfig): Promise<void> {
    const kept = await readJsonFile(nodePaths(this.d.home).adminConditions).catch(() => undefined);
    this.adminRaw = Array.isArray(kept) ? kept.slice(0, 32) : [];
    await this.apply(config);
  }

  /** node.json changed: the operator's rules or allowances may have. */
  apply(config: NodeConfig): Promise<void> {
    this.config = config;
    this.applying = this.applying.then(() => this.reconcile()).catch((err: Error) => this.d.log.warn({ err: err.message }, 'could not apply the condition rules'));
    return this.applying;
  }

  /** The server delivered the administrators' rules (the whole set); kept and applied if they changed. */
  receiveAdminRules(raw: unknown[]): Promise<void> {
    if (JSON.stringify(raw) === JSON.stringify(this.adminRaw)) return this.applying;
    this.adminRaw = raw;
    this.d.log.info({ rules: raw.length }, 'received condition rules from the server');
    const text = `${JSON.stringify(raw, null, 2)}\n`;
    this.applying = this.applying.then(() => writeFileAtomic(nodePaths(this.d.home).adminConditions, text, 0o600)).catch((err: Error) => this.d.log.warn({ err: err.message }, 'could not keep the condition rules from the server'));
    return this.config ? this.apply(this.config) : this.applying;
  }

  private async reconcile(): Promise<void> {
    const config = this.config;
    if (!config) return;
    const { admitted, refused } = await admitAdminRules(this.adminRaw, config.files, config.conditions);
    for (const r of refused) this.d.log.warn({ condition: r.name, reason: r.reason }, "refused an administrator's condition rule");
    const own: WatchedRule[] = config.conditions.map((rule) => ({ rule, origin: 'operator' }));
    this.monitor.setRules([...own, ...admitted], refused);
  }

  /** Resolves once rule changes and the evaluations running now are done (for tests). */
  async settled(): Promise<void> {
    await this.applying;
    await this.monitor.settled();
  }

  /** Every rule's state now. */
  states(): ConditionState[] {
    return this.monitor.states();
  }

  /** Stops watching; idempotent. */
  close(): void {
    this.monitor.close();
  }
}
