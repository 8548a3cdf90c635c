import type { EventEmitter } from 'node:events';
import type { AlertMessage } from '../../shared/alerts.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { SessionView } from '../../shared/protocol.js';
import { GroupTree } from '../auth/groupTree.js';
import type { Database } from '../store/database.js';
import { listGroups } from '../store/groupStore.js';
import { getNode, listNodes } from '../store/nodeStore.js';
import { getAlertChannel, listAlertRules, type AlertRuleRecord } from '../store/alertStore.js';
import { alertMessage } from './alertMessage.js';
import { AlertIncidents } from './alertIncidents.js';
import { AlertTail } from './alertTail.js';
import type { AlertDelivery } from './alertDelivery.js';

/** The node registry as the engine sees it: online/offline events and who is online. */
export interface NodePresence extends EventEmitter {
  isOnline(nodeId: string): boolean;
}

/** What the engine needs. */
export interface AlertEngineDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  nodes: NodePresence;
  /** Emits `opened` (view, groupId) for each session. */
  sessions: EventEmitter;
  delivery: Pick<AlertDelivery, 'deliver'>;
  /** How often new audit entries and status reports are read. */
  pollMs: number;
  /** After a start, offline alerts wait at least this long, so nodes have time to reconnect. */
  startupGraceMs: number;
}

/**
 * Turns what happens into alerts: nodes going offline (a timer per rule and node, on the
 * clock) and coming back, sessions opening, jobs failing, sign-ins failing, health reports
 * crossing thresholds. Deduplication and quiet periods live in the store (AlertIncidents),
 * so a restart repeats nothing, and offline timers are set again from each node's last
 * sighting. Work is done one event at a time, so no two events race on one alert key; two
 * engines (two instances that both believe they lead) race only on the store, where each
 * incident and each batch of rows read is claimed by one conditional write.
 */
export class AlertEngine {
  private readonly incidents: AlertIncidents;
  private readonly offlineTimers = new Map<string, TimerHandle>();
  private readonly tail: AlertTail;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly onOnline = (nodeId: string) => this.serial(() => this.nodeOnline(nodeId));
  private readonly onOffline = (nodeId: string) => this.serial(() => this.nodeOffline(nodeId, this.d.clock.now()));
  private readonly onSession = (view: SessionView, groupId: string) => this.serial(() => this.sessionOpened(view, groupId));

  constructor(private readonly d: AlertEngineDeps) {
    this.incidents = new AlertIncidents(d.db);
    this.tail = new AlertTail({ db: d.db, clock: d.clock, log: d.log, pollMs: d.pollMs, incidents: this.incidents, fire: (r, m, s) => this.fire(r, m, s), context: () => this.context(), serial: (fn) => this.serial(fn) });
  }

  /** Subscribes to events, sets offline timers for nodes already away, starts reading the store. */
  async start(): Promise<void> {
    this.d.nodes.on('online', this.onOnline);
    this.d.nodes.on('offline', this.onOffline);
    this.d.sessions.on('opened', this.onSession);
    const startedAt = this.d.clock.now();
    for (const n of await listNodes(this.d.db)) {
      if (n.status !== 'approved' || n.lastSeenAt === null || this.d.nodes.isOnline(n.id)) continue;
      await this.nodeOffline(n.id, n.lastSeenAt, startedAt + this.d.startupGraceMs);
    }
    await this.tail.start();
  }

  /** Stops listening and timing, and waits for the event being handled. */
  async close(): Promise<void> {
    this.closed = true;
    this.d.nodes.off('online', this.onOnline);
    this.d.nodes.off('offline', this.onOffline);
    this.d.sessions.off('opened', this.onSession);
    for (const t of this.offlineTimers.values()) this.d.clock.clearTimeout(t);
    this.offlineTimers.clear();
    this.tail.close();
    await this.queue;
  }

  /** Resolves once every event received so far is handled (for tests). */
  settled(): Promise<void> {
    return this.queue;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(() => (this.closed ? undefined : fn())).catch((err: Error) => this.d.log.warn({ err: err.message }, 'alert evaluation failed'));
    return this.queue;
  }

  private async context(): Promise<{ rules: AlertRuleRecord[]; tree: GroupTree }> {
    return { rules: await listAlertRules(this.d.db), tree: new GroupTree(await listGroups(this.d.db)) };
  }

  /** The rules of `kind` whose group holds `groupId`. */
  private async rulesFor(kind: AlertRuleRecord['spec']['kind'], groupId: string): Promise<AlertRuleRecord[]> {
    const { rules, tree } = await this.context();
    return rules.filter((r) => r.spec.kind === kind && tree.isWithin(groupId, r.groupId));
  }

  /** Arms an offline timer per rule; `since` is when the node was last seen, `notBefore` delays a timer after a restart. */
  private async nodeOffline(nodeId: string, since: number, notBefore = 0): Promise<void> {
    const node = await getNode(this.d.db, nodeId);
    if (!node || node.deletedAt !== null) return;
    for (const rule of await this.rulesFor('node.offline', node.groupId)) {
      if (rule.spec.kind !== 'node.offline') continue;
      const key = `${rule.id}|${nodeId}`;
      const existing = this.offlineTimers.get(key);
      if (existing) this.d.clock.clearTimeout(existing);
      // An on-demand node is away between its windows by design: it is late only once it
      // misses the check-in it announced.
      const expected = node.mode === 'on-demand' && node.nextCheckInAt !== null ? Math.max(since, node.nextCheckInAt) : since;
      const due = Math.max(expected + rule.spec.afterSeconds * 1000, notBefore);
      const t = this.d.clock.setTimeout(() => {
        this.offlineTimers.delete(key);
        void this.serial(() => this.offlineTooLong(rule.id, nodeId, since));
      }, due - this.d.clock.now());
      this.offlineTimers.set(key, t);
    }
  }

  private async offlineTooLong(ruleId: string, nodeId: string, since: number): Promise<void> {
    if (this.d.nodes.isOnline(nodeId)) return;
    const rule = (await listAlertRules(this.d.db)).find((r) => r.id === ruleId);
    const node = await getNode(this.d.db, nodeId);
    if (!rule || rule.spec.kind !== 'node.offline' || !node || node.deletedAt !== null || node.status !== 'approved') return;
    const now = this.d.clock.now();
    if ((await this.incidents.open(rule.id, nodeId, rule.quietMs, now)) !== 'send') return;
    const minutes = Math.round((now - since) / 60_000);
    await this.fire(rule, alertMessage(this.d.clock.now(), rule, node, 'node.offline', `Node ${node.name} is offline (last seen ${new Date(since).toISOString()}, ${minutes} min ago)`, { lastSeenAt: new Date(since).toISOString() }), nodeId);
  }

  private async nodeOnline(nodeId: string): Promise<void> {
    for (const [key, t] of this.offlineTimers) {
      if (!key.endsWith(`|${nodeId}`)) continue;
      this.d.clock.clearTimeout(t);
      this.offlineTimers.delete(key);
    }
    const node = await getNode(this.d.db, nodeId);
    if (!node) return;
    let announced = false;
    for (const rule of await this.rulesFor('node.offline', node.groupId)) if (await this.incidents.resolve(rule.id, nodeId)) announced = true;
    if (!announced) return;
    const now = this.d.clock.now();
    for (const rule of await this.rulesFor('node.online', node.groupId)) {
      if (await this.incidents.pulse(rule.id, nodeId, 0, now)) await this.fire(rule, alertMessage(this.d.clock.now(), rule, node, 'node.online', `Node ${node.name} is back online`, {}), nodeId);
    }
  }

  private async sessionOpened(view: SessionView, groupId: string): Promise<void> {
    const rules = await this.rulesFor('session.opened', groupId);
    if (rules.length === 0) return;
    const node = await getNode(this.d.db, view.nodeId);
    // The session's own time, not this instance's: a second leader hearing of the same
    // session pulses the same moment and so sends nothing.
    const openedAt = Date.parse(view.openedAt);
    const at = Number.isFinite(openedAt) ? openedAt : this.d.clock.now();
    for (const rule of rules) {
      if (!(await this.incidents.pulse(rule.id, view.nodeId, rule.quietMs, at))) continue;
      // Never the session's URL: it carries the one-time token that admits a browser.
      const detail = { session: view.id, service: view.service, ...(view.user ? { user: view.user } : {}) };
      await this.fire(rule, alertMessage(this.d.clock.now(), rule, node ?? null, 'session.opened', `A ${view.service} session was opened on ${node?.name ?? view.nodeId}${view.user ? ` by ${view.user}` : ''}`, detail), view.nodeId);
    }
  }


  private async fire(rule: AlertRuleRecord, message: AlertMessage, subject: string | null): Promise<void> {
    this.d.log.info({ rule: rule.id, event: message.event, subject }, 'alert');
    for (const id of rule.channelIds) {
      const channel = await getAlertChannel(this.d.db, id);
      if (!channel) continue;
      // The first attempt is not awaited: a slow receiver must not hold up the next event.
      void this.d.delivery.deliver(channel, message, rule.id, subject).catch((err: Error) => this.d.log.warn({ err: err.message, channel: id }, 'could not deliver an alert'));
    }
  }
}
