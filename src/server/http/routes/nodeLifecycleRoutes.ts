import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { labelKeySchema, labelsSchema } from '../../../shared/labelSelector.js';
import { nodeNameSchema } from '../../../shared/protocol.js';
import { appendAudit } from '../../store/auditStore.js';
import { cancelPendingJobsOf, markNodeDeleted, moveNode, nodeNameTaken, renameNode, setNodeLabels } from '../../store/nodeLifecycleStore.js';
import type { NodeRecord } from '../../store/nodeStore.js';
import { accessOf, groupParam } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';
import { nodeParam, nodeView } from './nodeRoutes.js';

const param = (ctx: ApiContext) => ctx.params.id as string;
const renameSchema = z.object({ name: nodeNameSchema });
const moveSchema = z.object({ group: z.string().min(1).max(200) });
const labelsChangeSchema = z.object({ set: labelsSchema.default({}), remove: z.array(labelKeySchema).max(32).default([]) });

async function refuseNameClash(d: ApiDeps, node: NodeRecord, groupId: string, name: string, where: string): Promise<void> {
  if (await nodeNameTaken(d.db, groupId, name, node.id)) throw new BurrowError('CONFLICT', `Another node in ${where} is already named ${name}; choose another name.`);
}

/** Rename, move to another group, delete, and labels of one node. */
export function nodeLifecycleRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/nodes/:id/rename',
      permission: 'admin',
      handler: async (ctx) => {
        const { name } = await readJson(ctx, renameSchema);
        const a = await accessOf(d.db, ctx);
        const node = await nodeParam(d, a, param(ctx), 'admin');
        await refuseNameClash(d, node, node.groupId, name, `group ${a.tree.path(node.groupId)}`);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await renameNode(tx, node.id, name);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.rename', target: node.id, result: 'ok', groupId: node.groupId, detail: { from: node.name, to: name } }, now);
        });
        ctx.body = nodeView(d, { ...node, name });
      },
    },
    {
      method: 'POST',
      path: '/v1/nodes/:id/move',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, moveSchema);
        const a = await accessOf(d.db, ctx);
        // Both ends: an admin may neither pull a node out of a group they do not administer
        // nor push one into such a group.
        const node = await nodeParam(d, a, param(ctx), 'admin');
        const to = await groupParam(d.db, a, body.group, 'admin');
        if (to.id === node.groupId) throw new BurrowError('VALIDATION', `Node ${node.name} is already in group ${a.tree.path(to.id)}.`);
        await refuseNameClash(d, node, to.id, node.name, `group ${a.tree.path(to.id)}`);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await moveNode(tx, node.id, to.id);
          const cancelledJobs = await cancelPendingJobsOf(tx, node.id, 'the node moved to another group before the job reached it', now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.move', target: node.id, result: 'ok', groupId: to.id, detail: { from: node.groupId, to: to.id, fromPath: a.tree.path(node.groupId), toPath: a.tree.path(to.id), cancelledJobs } }, now);
        });
        // Whoever may not operate the new group loses what they hold open on the node now.
        await d.authority.nodeMoved(node.id, to.id);
        ctx.body = nodeView(d, { ...node, groupId: to.id });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/nodes/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const node = await nodeParam(d, a, param(ctx), 'admin');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await markNodeDeleted(tx, node.id, now);
          const cancelledJobs = await cancelPendingJobsOf(tx, node.id, 'the node was deleted', now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.delete', target: node.id, result: 'ok', groupId: node.groupId, detail: { name: node.name, status: node.status, cancelledJobs } }, now);
        });
        // Its tunnel is cut and its key refused from now on (it stays revoked); its
        // sessions and requests waiting for it end.
        d.registry.disconnect(node.id);
        await d.sessions.closeForNode(node.id, 'node-deleted');
        for (const r of await d.queue.list(true)) if (r.nodeId === node.id && r.state === 'queued') await d.queue.endRequest(r.id, 'node-deleted');
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/nodes/:id/labels',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, labelsChangeSchema);
        const a = await accessOf(d.db, ctx);
        const node = await nodeParam(d, a, param(ctx), 'admin');
        const labels = { ...node.labels, ...body.set };
        for (const k of body.remove) delete labels[k];
        if (!labelsSchema.safeParse(labels).success) throw new BurrowError('VALIDATION', 'A node has at most 32 labels.');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await setNodeLabels(tx, node.id, labels);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.labels', target: node.id, result: 'ok', groupId: node.groupId, detail: { set: body.set, remove: body.remove } }, now);
        });
        ctx.body = nodeView(d, { ...node, labels });
      },
    },
  ];
}
