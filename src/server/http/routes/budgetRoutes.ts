import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import type { BudgetListEntry } from '../../../shared/dataBudget.js';
import { nextMonthStart, trafficMonth } from '../../../shared/trafficMonth.js';
import type { Queryable } from '../../store/database.js';
import { deleteNodeBudget, getNodeBudget, listNodeBudgets, listNodeTraffic, putNodeBudget, setBudgetOverride } from '../../store/dataBudgetStore.js';
import { listNodes, type NodeRecord } from '../../store/nodeStore.js';
import { budgetStanding } from '../../budget/budgetStanding.js';
import { nodeBudgetView } from '../../budget/nodeBudget.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';
import { auditedNodeChange, pathNode } from './nodeChange.js';

/** The rate a spent budget throttles to unless one is given: enough for status, keepalives and a shell. */
export const DEFAULT_BUDGET_RATE = 64 * 1024;

const budgetSchema = z.strictObject({
  monthlyBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  over: z.enum(['refuse', 'throttle']).default('refuse'),
  rateBytes: z.number().int().min(1024, 'a rate below 1 KiB/s would starve the tunnel itself').max(10 * 1024 ** 3).default(DEFAULT_BUDGET_RATE),
});

const overrideSchema = z.strictObject({ until: z.string().datetime().optional() });

/** Data budgets: the month's counts, the budget an administrator sets, and overrides. */
export function budgetRoutes(d: ApiDeps): RouteDef[] {
  /** An administrator's change to a node's budget, audited with it; the node's tunnel is then judged anew. */
  const changeBudget = async (ctx: ApiContext, node: NodeRecord, action: string, now: number, change: (tx: Queryable) => Promise<Record<string, unknown>>) => {
    await auditedNodeChange(d, ctx, node, action, now, change);
    await d.budgetChanged?.(node.id);
  };
  return [
    {
      method: 'GET',
      path: '/v1/budgets',
      permission: 'read',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const visible = new Set(a.groups('viewer'));
        const now = d.clock.now();
        const [nodes, budgets, traffic] = await Promise.all([listNodes(d.db), listNodeBudgets(d.db), listNodeTraffic(d.db, trafficMonth(now))]);
        const body: BudgetListEntry[] = [];
        for (const n of nodes) {
          const b = budgets.get(n.id);
          if (!b || !visible.has(n.groupId)) continue;
          const t = traffic.get(n.id);
          const used = t ? t.bytesIn + t.bytesOut : 0;
          const s = budgetStanding(b, used, now);
          body.push({ nodeId: n.id, usedBytes: used, monthlyBytes: b.monthlyBytes, percent: s.percent, level: s.level, refusing: s.refusing, throttled: s.throttled, overridden: s.overridden });
        }
        ctx.body = body;
      },
    },
    {
      method: 'GET',
      path: '/v1/nodes/:id/budget',
      permission: 'read',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'viewer');
        ctx.body = await nodeBudgetView(d.db, node.id, d.clock.now());
      },
    },
    {
      method: 'PUT',
      path: '/v1/nodes/:id/budget',
      permission: 'admin',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'admin');
        const body = await readJson(ctx, budgetSchema);
        const now = d.clock.now();
        await changeBudget(ctx, node, 'node.budget.set', now, async (tx) => {
          await putNodeBudget(tx, { nodeId: node.id, ...body }, now);
          return body;
        });
        ctx.body = await nodeBudgetView(d.db, node.id, now);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/nodes/:id/budget',
      permission: 'admin',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'admin');
        await changeBudget(ctx, node, 'node.budget.clear', d.clock.now(), async (tx) => ({ existed: await deleteNodeBudget(tx, node.id) }));
        ctx.status = 204;
      },
    },
    {
      method: 'PUT',
      path: '/v1/nodes/:id/budget/override',
      permission: 'admin',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'admin');
        const body = await readJson(ctx, overrideSchema);
        const now = d.clock.now();
        // Unless told otherwise, an override lasts until the count starts over.
        const until = body.until === undefined ? nextMonthStart(now) : Date.parse(body.until);
        if (until <= now) throw new BurrowError('VALIDATION', 'An override must end in the future.');
        await changeBudget(ctx, node, 'node.budget.override', now, async (tx) => {
          if (!(await getNodeBudget(tx, node.id))) throw new BurrowError('CONFLICT', `Node ${node.name} has no data budget to override.`);
          await setBudgetOverride(tx, node.id, until, now);
          return { until: new Date(until).toISOString() };
        });
        ctx.body = await nodeBudgetView(d.db, node.id, now);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/nodes/:id/budget/override',
      permission: 'admin',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'admin');
        const now = d.clock.now();
        await changeBudget(ctx, node, 'node.budget.override.end', now, async (tx) => {
          if (!(await setBudgetOverride(tx, node.id, null, now))) throw new BurrowError('CONFLICT', `Node ${node.name} has no data budget.`);
          return {};
        });
        ctx.body = await nodeBudgetView(d.db, node.id, now);
      },
    },
  ];
}
