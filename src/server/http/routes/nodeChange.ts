import type { Role } from '../../auth/access.js';
import { appendAudit } from '../../store/auditStore.js';
import type { Queryable } from '../../store/database.js';
import type { NodeRecord } from '../../store/nodeStore.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext } from '../apiContext.js';
import { nodeParam } from './nodeRoutes.js';

/** The node the path's `:id` names, if the caller holds `need` on its group. */
export async function pathNode(d: ApiDeps, ctx: ApiContext, need: Role): Promise<NodeRecord> {
  return nodeParam(d, await accessOf(d.db, ctx), ctx.params.id as string, need);
}

/**
 * Makes the caller's change to a node and writes its audit entry in the same transaction:
 * `change` returns the entry's detail, or throws to change nothing.
 */
export async function auditedNodeChange(d: ApiDeps, ctx: ApiContext, node: NodeRecord, action: string, now: number, change: (tx: Queryable) => Promise<Record<string, unknown>>): Promise<void> {
  await d.db.transaction(async (tx) => {
    const detail = await change(tx);
    await appendAudit(tx, { actor: principalOf(ctx).userId, sourceIp: ctx.state.clientIp, action, target: node.id, result: 'ok', groupId: node.groupId, detail }, now);
  });
}
