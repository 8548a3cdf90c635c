import type { BudgetLevel } from '../../shared/dataBudget.js';
import type { NodeBudgetRecord } from '../store/dataBudgetStore.js';

/** The share of a budget at which the warning goes out. */
export const WARNING_PERCENT = 80;

/** Where a node stands against its budget, and what that means for its tunnel right now. */
export interface BudgetStanding {
  percent: number;
  level: BudgetLevel;
  /** An administrator's override is active: no refusal, no throttle. */
  overridden: boolean;
  /** New sessions, shells, jobs and file pulls are refused. */
  refusing: boolean;
  /** The tunnel runs at the budget's rate. */
  throttled: boolean;
}

/**
 * Judges `usedBytes` against a budget at `now`. Past 100 % the tunnel is throttled to the
 * budget's rate whichever the `over` action (sessions running then slow down rather than
 * break); `refuse` also turns new sessions away. An active override lifts both.
 */
export function budgetStanding(budget: Pick<NodeBudgetRecord, 'monthlyBytes' | 'over' | 'overrideUntil'>, usedBytes: number, now: number): BudgetStanding {
  const percent = Math.floor((usedBytes * 1000) / budget.monthlyBytes) / 10;
  const level: BudgetLevel = usedBytes >= budget.monthlyBytes ? 'exceeded' : percent >= WARNING_PERCENT ? 'warning' : 'ok';
  const overridden = budget.overrideUntil !== null && budget.overrideUntil > now;
  const limited = level === 'exceeded' && !overridden;
  return { percent, level, overridden, refusing: limited && budget.over === 'refuse', throttled: limited };
}
