import type { AlertMessage } from '../../shared/alerts.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { nodeStatusReportSchema } from '../../shared/protocol.js';
import type { GroupTree } from '../auth/groupTree.js';
import type { Database } from '../store/database.js';
import { getNode } from '../store/nodeStore.js';
import type { AlertRuleRecord } from '../store/alertStore.js';
import { advanceAlertCursor, alertAuditSince, alertStatusSince, alertTailHeads, countDeniedSignIns, getAlertCursor, placeAlertCursor, type AlertAuditRow } from '../store/alertStateStore.js';
import { alertMessage } from './alertMessage.js';
import type { AlertIncidents } from './alertIncidents.js';
import { healthFindings } from './healthChecks.js';
import { closeVanishedConditions, readConditionStates, startConditionCursor } from './conditionAlerts.js';
import { formatByteSize } from '../../shared/byteSize.js';

const BATCH = 500;

/** What the tail needs from the engine. */
export interface AlertTailDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  pollMs: number;
  incidents: AlertIncidents;
  fire: (rule: AlertRuleRecord, message: AlertMessage, subject: string | null) => Promise<void>;
  context: () => Promise<{ rules: AlertRuleRecord[]; tree: GroupTree }>;
  serial: (fn: () => Promise<void>) => Promise<void>;
}

/**
 * Reads what the store gained since the last read: failed job runs and refused sign-ins
 * from the audit log, health reports from the status history, condition states. Reading the store (rather
 * than hooking each writer) sees every writer, and the cursors kept in the store make a
 * restart carry on where the last run stopped; a first run starts at the newest rows.
 * A batch is claimed (its cursor moved, from where this read began) before it is acted on:
 * of two instances that both believe they lead, one claims it and the other skips it, and
 * a cursor never moves back. A crash between the claim and the sends loses that batch's
 * alerts, as it loses a delivery in flight; it never repeats them.
 */
export class AlertTail {
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly d: AlertTailDeps) {}

  /** Places the cursors (at the newest rows on a first run) and starts polling. */
  async start(): Promise<void> {
    const heads = await alertTailHeads(this.d.db);
    await placeAlertCursor(this.d.db, 'audit', heads.audit);
    await placeAlertCursor(this.d.db, 'status', heads.status);
    await startConditionCursor(this.d.db, this.d.clock.now());
    this.schedule();
  }

  /** Stops polling. */
  close(): void {
    this.closed = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
  }

  /** Reads and judges everything new now (also what each poll does). */
  poll(): Promise<void> {
    return this.d.serial(async () => {
      await this.readAudit();
      await this.readStatus();
      await readConditionStates(this.d);
      await closeVanishedConditions(this.d);
    });
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.d.clock.setTimeout(() => void this.poll().finally(() => this.schedule()), this.d.pollMs);
  }

  private async readAudit(): Promise<void> {
    const from = (await getAlertCursor(this.d.db, 'audit')) ?? 0;
    const rows = await alertAuditSince(this.d.db, from, BATCH);
    if (rows.length === 0) return;
    if (!(await advanceAlertCursor(this.d.db, 'audit', from, (rows[rows.length - 1] as AlertAuditRow).seq))) return;
    const ctx = await this.d.context();
    let signIns = false;
    for (const row of rows) {
      if (row.action === 'job.run') await this.jobFailed(row, ctx);
      else if (row.action === 'node.budget.warning' || row.action === 'node.budget.exceeded') await this.budgetCrossed(row, ctx);
      else signIns = true;
    }
    if (signIns) await this.signInsFailed(ctx.rules);
  }

  private async jobFailed(row: AlertAuditRow, ctx: { rules: AlertRuleRecord[]; tree: GroupTree }): Promise<void> {
    const node = await getNode(this.d.db, row.actor);
    if (!node) return;
    for (const rule of ctx.rules) {
      if (rule.spec.kind !== 'job.failed' || !ctx.tree.isWithin(node.groupId, rule.groupId)) continue;
      // The failure's own time: two failures in one batch are two alerts when no quiet period holds.
      if (!(await this.d.incidents.pulse(rule.id, node.id, rule.quietMs, row.at))) continue;
      const why = typeof row.detail.error === 'string' && row.detail.error ? row.detail.error : `exit code ${String(row.detail.exitCode ?? 'unknown')}`;
      await this.d.fire(rule, alertMessage(this.d.clock.now(), rule, node, 'job.failed', `Job ${row.target ?? ''} failed on ${node.name}: ${why}`, { job: row.target, exitCode: row.detail.exitCode ?? null }), node.id);
    }
  }

  /** A node's 80 % or 100 % budget notice (written once a month, again after the budget changes) fires the matching rules. */
  private async budgetCrossed(row: AlertAuditRow, ctx: { rules: AlertRuleRecord[]; tree: GroupTree }): Promise<void> {
    const node = row.target ? await getNode(this.d.db, row.target) : undefined;
    if (!node || node.deletedAt !== null) return;
    const kind = row.action === 'node.budget.warning' ? 'budget.warning' : 'budget.exceeded';
    const d = row.detail as { month?: string; usedBytes?: number; monthlyBytes?: number; percent?: number };
    const now = this.d.clock.now();
    for (const rule of ctx.rules) {
      if (rule.spec.kind !== kind || !ctx.tree.isWithin(node.groupId, rule.groupId)) continue;
      if (!(await this.d.incidents.pulse(rule.id, `${node.id}|${d.month ?? ''}`, rule.quietMs, now))) continue;
      const what = kind === 'budget.warning' ? `has used ${d.percent ?? '?'} % of its data budget` : `has spent its data budget (${d.percent ?? '?'} %)`;
      await this.d.fire(rule, alertMessage(now, rule, node, kind, `Node ${node.name} ${what} for ${d.month ?? 'this month'}: ${formatByteSize(d.usedBytes ?? 0)} of ${formatByteSize(d.monthlyBytes ?? 0)}`, { month: d.month ?? null, usedBytes: d.usedBytes ?? null, monthlyBytes: d.monthlyBytes ?? null, percent: d.percent ?? null }), node.id);
    }
  }

  private async signInsFailed(rules: AlertRuleRecord[]): Promise<void> {
    const now = this.d.clock.now();
    for (const rule of rules) {
      if (rule.spec.kind !== 'signin.failed') continue;
      const count = await countDeniedSignIns(this.d.db, now - rule.spec.windowSeconds * 1000);
      if (count <= rule.spec.count) continue;
      if (!(await this.d.incidents.pulse(rule.id, 'server', rule.quietMs, now))) continue;
      await this.d.fire(rule, alertMessage(this.d.clock.now(), rule, null, 'signin.failed', `${count} failed sign-ins in the last ${rule.spec.windowSeconds} s (threshold ${rule.spec.count})`, { count, windowSeconds: rule.spec.windowSeconds }), 'server');
    }
  }

  private async readStatus(): Promise<void> {
    const from = (await getAlertCursor(this.d.db, 'status')) ?? 0;
    const rows = await alertStatusSince(this.d.db, from, BATCH);
    if (rows.length === 0) return;
    if (!(await advanceAlertCursor(this.d.db, 'status', from, (rows[rows.length - 1] as { id: number }).id))) return;
    const ctx = await this.d.context();
    const health = ctx.rules.filter((r) => r.spec.kind.startsWith('health.'));
    for (const row of health.length ? rows : []) {
      const parsed = nodeStatusReportSchema.safeParse(JSON.parse(row.report));
      const node = parsed.success ? await getNode(this.d.db, row.nodeId) : undefined;
      if (!parsed.success || !node || node.deletedAt !== null) continue;
      for (const rule of health) {
        if (!ctx.tree.isWithin(node.groupId, rule.groupId)) continue;
        for (const f of healthFindings(rule.spec, parsed.data, node.name)) {
          const subject = `${node.id}${f.part}`;
          if (!f.bad) await this.d.incidents.resolve(rule.id, subject);
          else if ((await this.d.incidents.open(rule.id, subject, rule.quietMs, this.d.clock.now())) === 'send') await this.d.fire(rule, alertMessage(this.d.clock.now(), rule, node, rule.spec.kind, f.summary, f.detail), subject);
        }
      }
    }
  }

}
