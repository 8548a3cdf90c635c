import type { BudgetNotice, NodeBudgetView, NodeTrafficCount } from '../../shared/dataBudget.js';
import { BurrowError } from '../../shared/errors.js';
import { formatByteSize } from '../../shared/byteSize.js';
import { nextMonthStart, trafficMonth } from '../../shared/trafficMonth.js';
import type { Queryable } from '../store/database.js';
import { getNodeBudget, getNodeTraffic } from '../store/dataBudgetStore.js';
import { listNodeStatus } from '../store/nodeStatusStore.js';
import { getNode } from '../store/nodeStore.js';
import { budgetStanding } from './budgetStanding.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Refuses new work on a node (a session, a shell, a job, a file pull) once its budget is
 * spent and set to refuse, unless an administrator's override is active.
 */
export async function assertWithinBudget(q: Queryable, node: { id: string; name: string }, now: number): Promise<void> {
  const budget = await getNodeBudget(q, node.id);
  if (!budget) return;
  const month = trafficMonth(now);
  const t = await getNodeTraffic(q, node.id, month);
  const standing = budgetStanding(budget, t.bytesIn + t.bytesOut, now);
  if (!standing.refusing) return;
  throw new BurrowError(
    'BUDGET_EXCEEDED',
    `Node ${node.name} has used its data budget for ${month} (${formatByteSize(t.bytesIn + t.bytesOut)} of ${formatByteSize(budget.monthlyBytes)}); new sessions are refused until ${iso(nextMonthStart(now))} unless an administrator overrides it.`,
  );
}

/** A node's counts this month, on both ends, and its budget. */
export async function nodeBudgetView(q: Queryable, nodeId: string, now: number): Promise<NodeBudgetView> {
  const month = trafficMonth(now);
  const [budget, t, latest] = await Promise.all([getNodeBudget(q, nodeId), getNodeTraffic(q, nodeId, month), listNodeStatus(q, nodeId, 1)]);
  const reported = latest[0]?.report.traffic;
  const nodeCount: NodeTrafficCount | null = reported && reported.month === month ? reported : null;
  const usedBytes = t.bytesIn + t.bytesOut;
  const standing = budget && budgetStanding(budget, usedBytes, now);
  return {
    nodeId,
    month,
    resetsAt: iso(nextMonthStart(now)),
    bytesIn: t.bytesIn,
    bytesOut: t.bytesOut,
    usedBytes,
    nodeCount,
    budget: budget && standing
      ? {
          monthlyBytes: budget.monthlyBytes,
          over: budget.over,
          rateBytes: budget.rateBytes,
          percent: standing.percent,
          level: standing.level,
          overrideUntil: standing.overridden && budget.overrideUntil !== null ? iso(budget.overrideUntil) : null,
          refusing: standing.refusing,
          throttled: standing.throttled,
        }
      : null,
  };
}

/** The budget as a status reply tells the node, or undefined when none is set. */
export async function budgetNoticeFor(q: Queryable, nodeId: string, now: number): Promise<BudgetNotice | undefined> {
  const budget = await getNodeBudget(q, nodeId);
  if (!budget) return undefined;
  const month = trafficMonth(now);
  const t = await getNodeTraffic(q, nodeId, month);
  const used = t.bytesIn + t.bytesOut;
  const s = budgetStanding(budget, used, now);
  return { month, limitBytes: budget.monthlyBytes, usedBytes: used, level: s.level, over: budget.over, overridden: s.overridden };
}

/** Why new work on the node is refused for its budget (a job's recorded error), or undefined when it is not. */
export async function budgetRefusal(q: Queryable, nodeId: string, now: number): Promise<string | undefined> {
  try {
    await assertWithinBudget(q, { id: nodeId, name: (await getNode(q, nodeId))?.name ?? nodeId }, now);
    return undefined;
  } catch (err) {
    if (err instanceof BurrowError && err.code === 'BUDGET_EXCEEDED') return err.message;
    throw err;
  }
}
