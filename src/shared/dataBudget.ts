import { z } from 'zod';

/** Where a node stands against its budget: under 80 %, from 80 %, from 100 %. */
export type BudgetLevel = 'ok' | 'warning' | 'exceeded';

/** A node's own count of its tunnel's bytes this month, sent in its status reports. */
export const nodeTrafficSchema = z.object({
  month: z.string().regex(/^\d{4}-\d{2}$/),
  bytesIn: z.number().int().nonnegative(),
  bytesOut: z.number().int().nonnegative(),
});
/** A node's own count. */
export type NodeTrafficCount = z.infer<typeof nodeTrafficSchema>;

/** The budget as the server tells the node in its status replies (the server's count). */
export const budgetNoticeSchema = z.object({
  month: z.string().regex(/^\d{4}-\d{2}$/),
  limitBytes: z.number().int().positive(),
  usedBytes: z.number().int().nonnegative(),
  level: z.enum(['ok', 'warning', 'exceeded']),
  over: z.enum(['refuse', 'throttle']),
  /** An administrator lifted the limits for now. */
  overridden: z.boolean(),
});
/** The budget as the node learns it. */
export type BudgetNotice = z.infer<typeof budgetNoticeSchema>;

/** GET /v1/nodes/:id/budget: the month's counts on both ends and the budget, if one is set. */
export interface NodeBudgetView {
  nodeId: string;
  month: string;
  /** When the count starts over (the next month, UTC). */
  resetsAt: string;
  /** The server's count: in = from the node, out = to the node. */
  bytesIn: number;
  bytesOut: number;
  usedBytes: number;
  /** The node's own count, from its latest status report (null before it sent one this month). */
  nodeCount: NodeTrafficCount | null;
  budget: {
    monthlyBytes: number;
    over: 'refuse' | 'throttle';
    rateBytes: number;
    percent: number;
    level: BudgetLevel;
    /** Until when an administrator's override lifts the limits (null: none active). */
    overrideUntil: string | null;
    /** What applies now: new sessions refused, the tunnel throttled. */
    refusing: boolean;
    throttled: boolean;
  } | null;
}

/** One line of GET /v1/budgets: where a node with a budget stands this month. */
export interface BudgetListEntry {
  nodeId: string;
  usedBytes: number;
  monthlyBytes: number;
  percent: number;
  level: BudgetLevel;
  refusing: boolean;
  throttled: boolean;
  overridden: boolean;
}
