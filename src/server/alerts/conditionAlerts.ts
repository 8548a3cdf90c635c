import type { Database } from '../store/database.js';
import { conditionStatesReportedBetween, conditionStatesReportedSince, listConditionStates } from '../store/conditionStore.js';
import { advanceAlertCursor, getAlertCursor, openIncidents, placeAlertCursor } from '../store/alertStateStore.js';
import { getNode } from '../store/nodeStore.js';
import { listAlertRules } from '../store/alertStore.js';
import { alertMessage } from './alertMessage.js';
import type { AlertTailDeps } from './alertTail.js';

const BATCH = 500;
/** How far before its cursor the reader looks again, for states committed after later stamps were read. */
export const LATE_MS = 60_000;
/** The alert cursor over node_condition_states.reported_at (milliseconds, read inclusively). */
export const CONDITION_CURSOR = 'conditions';

/** The alert key's subject of one condition on one node. */
const subjectOf = (s: { nodeId: string; origin: string; name: string }) => `${s.nodeId}|${s.origin}:${s.name}`;

/** Places the cursor at `now` on a first run, so states reported before alerts existed raise nothing. */
export async function startConditionCursor(db: Database, now: number): Promise<void> {
  await placeAlertCursor(db, CONDITION_CURSOR, now);
}

/**
 * Judges the condition states nodes reported since the last read against the
 * `condition.firing` rules: a firing state opens an incident per (rule, node, condition)
 * and sends once, an ok state ends it. Rows stamped with the cursor's own millisecond are
 * read again next time; the incidents make that harmless. The batch is claimed first (see
 * AlertTail).
 */
export async function readConditionStates(d: Pick<AlertTailDeps, 'db' | 'clock' | 'incidents' | 'fire' | 'context'>): Promise<void> {
  const from = (await getAlertCursor(d.db, CONDITION_CURSOR)) ?? d.clock.now();
  const fresh = await conditionStatesReportedSince(d.db, from, BATCH);
  const first = fresh[0]?.reportedAt as number;
  const last = fresh[fresh.length - 1]?.reportedAt as number;
  // A full batch of one millisecond would be read forever: step past it.
  if (fresh.length > 0 && !(await advanceAlertCursor(d.db, CONDITION_CURSOR, from, fresh.length === BATCH && first === last ? last + 1 : last))) return;
  // Stamps come from each instance's clock when its write began: one whose clock is behind,
  // or that waited for the write lock, commits a state stamped before what was already read.
  // The current states of the last LATE_MS are judged again; the incidents make that harmless.
  const rows = [...(await conditionStatesReportedBetween(d.db, from - LATE_MS, from, BATCH)).reverse(), ...fresh];
  if (rows.length === 0) return;
  const ctx = await d.context();
  const rules = ctx.rules.filter((r) => r.spec.kind === 'condition.firing');
  for (const row of rules.length ? rows : []) {
    if (row.state !== 'firing' && row.state !== 'ok') continue;
    const node = await getNode(d.db, row.nodeId);
    if (!node || node.deletedAt !== null) continue;
    for (const rule of rules) {
      if (rule.spec.kind !== 'condition.firing' || !ctx.tree.isWithin(node.groupId, rule.groupId)) continue;
      if (rule.spec.condition !== undefined && rule.spec.condition !== row.name) continue;
      const subject = subjectOf(row);
      if (row.state === 'ok') {
        await d.incidents.resolve(rule.id, subject);
        continue;
      }
      if ((await d.incidents.open(rule.id, subject, rule.quietMs, d.clock.now())) !== 'send') continue;
      const detail = { condition: row.name, origin: row.origin, kind: row.kind, value: row.value, since: row.since, detail: row.detail };
      await d.fire(rule, alertMessage(d.clock.now(), rule, node, 'condition.firing', `Condition ${row.name} is firing on ${node.name}: ${row.detail}`, detail), subject);
    }
  }
}

/**
 * Closes the open incidents of conditions a node no longer reports: a rule the operator
 * removed from node.json, or an administrator from the server, while it was firing. Its
 * state went with the node's next report, so no row will ever say `ok`; without this the
 * incident would stay open and the rule, added back and firing, would never alert again.
 * It closes as an `ok` state closes it.
 */
export async function closeVanishedConditions(d: Pick<AlertTailDeps, 'db' | 'incidents'>): Promise<void> {
  const rules = (await listAlertRules(d.db)).filter((r) => r.spec.kind === 'condition.firing').map((r) => r.id);
  const reported = new Map<string, Set<string>>();
  for (const open of await openIncidents(d.db, rules)) {
    const nodeId = open.subject.slice(0, open.subject.indexOf('|'));
    let subjects = reported.get(nodeId);
    if (!subjects) {
      subjects = new Set((await listConditionStates(d.db, nodeId)).map(subjectOf));
      reported.set(nodeId, subjects);
    }
    if (!subjects.has(open.subject)) await d.incidents.resolve(open.ruleId, open.subject);
  }
}
