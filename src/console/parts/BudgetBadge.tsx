import type { BudgetListEntry } from '../../shared/dataBudget.js';

/** A node's data budget at a glance, in words as well as colour: shown from 80 % on, or while overridden. */
export function BudgetBadge(p: { entry: BudgetListEntry | undefined }) {
  const e = p.entry;
  if (!e) return null;
  const title = `Data this month: ${e.percent} % of the budget`;
  if (e.overridden) return <span class="badge badge-offline" title={title}>budget overridden</span>;
  if (e.level === 'exceeded') return <span class="badge badge-revoked" title={title}>{e.refusing ? 'data budget spent' : 'data budget spent, throttled'}</span>;
  if (e.level === 'warning') return <span class="badge badge-pending" title={title}>{`data ${Math.floor(e.percent)} %`}</span>;
  return null;
}
