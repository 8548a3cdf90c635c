import { conditionRuleSchema, type ConditionRule, type NodeConditionsView } from '../../../shared/conditions.js';
import { BurrowError } from '../../../shared/errors.js';
import { appendAudit, recordAudit } from '../../store/auditStore.js';
import { deleteNodeConditionRule, listConditionHistory, listConditionStates, listNodeConditionRules, putNodeConditionRule } from '../../store/conditionStore.js';
import type { NodeRecord } from '../../store/nodeStore.js';
import { NodeConnection } from '../../gateway/nodeConnection.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';
import { queryNumber } from '../queryNumber.js';
import { nodeParam } from './nodeRoutes.js';

/** Most rules administrators may define on one node, and their size as sent (they ride on one status line). */
const RULES_MAX = 32;
const RULES_BYTES_MAX = 32 * 1024;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Why the server does not even store `rule` for a node. The node decides again on its own
 * (src/node/conditions/adminConditionPolicy.ts): this check only answers early.
 */
function refusal(rule: ConditionRule): string | undefined {
  if (rule.kind === 'command') return 'Command rules run programs on the node: only its operator may define them ("burrow node conditions add").';
  return undefined;
}

/**
 * Tells the node now when its tunnel ends on this instance; otherwise (elsewhere, or
 * away) it learns the rules with the answer to its next status line.
 */
function tellNode(d: ApiDeps, node: NodeRecord): void {
  const handle = d.registry.get(node.id);
  if (handle instanceof NodeConnection) handle.emit('conditions-changed');
}

/** Condition rules administrators define on a node, and the states the node reports. */
export function nodeConditionRoutes(d: ApiDeps): RouteDef[] {
  const nodeOf = async (ctx: ApiContext, need: 'viewer' | 'admin') => nodeParam(d, await accessOf(d.db, ctx), ctx.params.id as string, need);
  return [
    {
      method: 'GET',
      path: '/v1/nodes/:id/conditions',
      permission: 'read',
      handler: async (ctx) => {
        const node = await nodeOf(ctx, 'viewer');
        const limit = queryNumber(ctx.query, 'limit', { min: 1, max: 200 }) ?? 20;
        const [rules, states, history] = await Promise.all([listNodeConditionRules(d.db, node.id), listConditionStates(d.db, node.id), listConditionHistory(d.db, node.id, limit)]);
        const body: NodeConditionsView = {
          nodeId: node.id,
          rules: rules.map((r) => ({ rule: r.rule, createdAt: iso(r.createdAt) })),
          states: states.map(({ nodeId: _n, reportedAt, ...s }) => ({ ...s, reportedAt: iso(reportedAt) })),
          history: history.map((h) => ({ ...h, at: iso(h.at) })),
        };
        ctx.body = body;
      },
    },
    {
      method: 'POST',
      path: '/v1/nodes/:id/conditions',
      permission: 'admin',
      handler: async (ctx) => {
        const rule = await readJson(ctx, conditionRuleSchema);
        const node = await nodeOf(ctx, 'admin');
        const actor = principalOf(ctx).userId;
        const entry = { actor, sourceIp: ctx.state.clientIp, action: 'node.condition.add', target: node.id, groupId: node.groupId, detail: { rule } };
        const now = d.clock.now();
        const why = refusal(rule);
        if (why) {
          await recordAudit(d.db, { ...entry, result: 'denied' }, now);
          throw new BurrowError('FORBIDDEN', why);
        }
        const others = (await listNodeConditionRules(d.db, node.id)).filter((r) => r.rule.name !== rule.name).map((r) => r.rule);
        if (others.length >= RULES_MAX) throw new BurrowError('CONFLICT', `Node ${node.name} has ${RULES_MAX} condition rules already; remove one first.`);
        if (JSON.stringify([...others, rule]).length > RULES_BYTES_MAX) throw new BurrowError('PAYLOAD_TOO_LARGE', `Node ${node.name}'s condition rules would exceed ${RULES_BYTES_MAX} bytes.`);
        await d.db.transaction(async (tx) => {
          await putNodeConditionRule(tx, node.id, rule, actor, now);
          await appendAudit(tx, { ...entry, result: 'ok' }, now);
        });
        tellNode(d, node);
        ctx.status = 201;
        ctx.body = { nodeId: node.id, rule, createdAt: iso(now) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/nodes/:id/conditions/:name',
      permission: 'admin',
      handler: async (ctx) => {
        const node = await nodeOf(ctx, 'admin');
        const name = ctx.params.name as string;
        const now = d.clock.now();
        const removed = await d.db.transaction(async (tx) => {
          if (!(await deleteNodeConditionRule(tx, node.id, name))) return false;
          await appendAudit(tx, { actor: principalOf(ctx).userId, sourceIp: ctx.state.clientIp, action: 'node.condition.remove', target: node.id, result: 'ok', groupId: node.groupId, detail: { name } }, now);
          return true;
        });
        if (!removed) throw new BurrowError('NOT_FOUND', `Node ${node.name} has no condition rule ${name} defined by an administrator.`);
        tellNode(d, node);
        ctx.status = 204;
      },
    },
  ];
}
