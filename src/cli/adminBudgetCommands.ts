import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { formatByteSize, parseByteSize } from '../shared/byteSize.js';
import { parseDuration } from '../shared/duration.js';
import type { NodeBudgetView } from '../shared/dataBudget.js';
import { printJson } from './cliOutput.js';
import { client, withCommon, type HomeOpt } from './adminShared.js';

interface BudgetOpts extends HomeOpt {
  monthly?: string;
  over?: string;
  rate?: string;
  clear?: boolean;
  override?: boolean;
  until?: string;
  endOverride?: boolean;
}

/** One line on a node's month: used of limit, percent, and what applies. */
export function budgetSummary(v: NodeBudgetView): string {
  const used = `${formatByteSize(v.usedBytes)} in ${v.month}`;
  const b = v.budget;
  if (!b) return `${used} (no budget)`;
  const state = b.overrideUntil ? `overridden until ${b.overrideUntil}` : b.refusing ? 'new sessions refused, throttled' : b.throttled ? `throttled to ${formatByteSize(b.rateBytes)}/s` : b.level === 'warning' ? 'warning' : 'ok';
  return `${formatByteSize(v.usedBytes)} of ${formatByteSize(b.monthlyBytes)} (${b.percent} %) in ${v.month}, ${state}`;
}

/** The view as lines of `key value`. */
function budgetLines(v: NodeBudgetView): [string, string][] {
  const b = v.budget;
  const lines: [string, string][] = [
    ['month', `${v.month} (starts over ${v.resetsAt})`],
    ['used', `${formatByteSize(v.usedBytes)} (in ${formatByteSize(v.bytesIn)}, out ${formatByteSize(v.bytesOut)}; server's count)`],
    ['nodeCount', v.nodeCount ? `${formatByteSize(v.nodeCount.bytesIn + v.nodeCount.bytesOut)} (the node's own count, last report)` : '-'],
  ];
  if (!b) return [...lines, ['budget', 'none']];
  lines.push(
    ['limit', formatByteSize(b.monthlyBytes)],
    ['percent', `${b.percent} %`],
    ['level', b.level],
    ['overBudget', b.over === 'refuse' ? `refuse new sessions, throttle to ${formatByteSize(b.rateBytes)}/s` : `throttle to ${formatByteSize(b.rateBytes)}/s`],
    ['override', b.overrideUntil ? `until ${b.overrideUntil}` : '-'],
    ['now', budgetSummary(v)],
  );
  return lines;
}

/**
 * `burrow admin node budget NODE`: shows a node's data this month; with --monthly sets its
 * budget, --clear removes it, --override lifts it for a while, --end-override ends that.
 */
export function registerAdminBudgetCommand(node: Command): void {
  withCommon(
    node
      .command('budget <node>')
      .description("show a node's data this month and its budget; set, clear or override the budget")
      .option('--monthly <size>', 'set the monthly budget, e.g. 2G or 500M (binary units)')
      .option('--over <action>', 'past 100 %: refuse (new sessions refused, tunnel throttled) or throttle (tunnel throttled only)', 'refuse')
      .option('--rate <size>', 'the tunnel rate per second once the budget is spent, e.g. 64K', '64K')
      .option('--clear', 'remove the budget')
      .option('--override', 'lift the budget until the month ends (or --until)')
      .option('--until <when>', 'with --override: an ISO time, or a duration from now such as 2h or 3d')
      .option('--end-override', 'end an override now'),
  )
    .action(async (id: string, o: BudgetOpts) => {
      const chosen = [o.monthly !== undefined, o.clear, o.override, o.endOverride].filter(Boolean).length;
      if (chosen > 1) throw new BurrowError('VALIDATION', 'Give one of --monthly, --clear, --override and --end-override.');
      if (o.until !== undefined && !o.override) throw new BurrowError('VALIDATION', '--until goes with --override.');
      if (o.over !== 'refuse' && o.over !== 'throttle') throw new BurrowError('VALIDATION', `"${o.over}" is not an action; use refuse or throttle.`);
      const api = await client(o);
      const path = `/v1/nodes/${encodeURIComponent(id)}/budget`;
      let view: NodeBudgetView;
      if (o.clear) {
        await api.call('DELETE', path);
        view = await api.call<NodeBudgetView>('GET', path);
      } else if (o.monthly !== undefined) {
        view = await api.call<NodeBudgetView>('PUT', path, { monthlyBytes: parseByteSize(o.monthly), over: o.over, rateBytes: parseByteSize(o.rate ?? '64K') });
      } else if (o.override) {
        view = await api.call<NodeBudgetView>('PUT', `${path}/override`, o.until === undefined ? {} : { until: untilOf(o.until) });
      } else if (o.endOverride) {
        view = await api.call<NodeBudgetView>('DELETE', `${path}/override`);
      } else view = await api.call<NodeBudgetView>('GET', path);
      if (o.json) printJson(view);
      else for (const [k, v] of budgetLines(view)) process.stdout.write(`${k.padEnd(12)} ${v}\n`);
    });
}

/** An ISO time as given, or a duration from now. */
function untilOf(text: string): string {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new BurrowError('VALIDATION', `"${text}" is not a time; use ISO 8601 (2026-01-31T18:00:00Z) or a duration such as 2h.`);
    return new Date(at).toISOString();
  }
  return new Date(Date.now() + parseDuration(text)).toISOString();
}
