import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { serviceNameSchema } from '../../../shared/protocol.js';
import { listNodes } from '../../store/nodeStore.js';
import { roleOn } from '../../auth/access.js';
import { accessOf } from '../accessOf.js';
import { nodeParam } from './nodeRoutes.js';
import { holdSession } from './sessionRoutes.js';
import { holdWhileOperator } from '../holdWhileOperator.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type RouteDef } from '../apiContext.js';

const requestSchema = z.object({ node: z.string().min(1).max(100), service: serviceNameSchema.default('webui') });

/** Ids of the nodes the caller can see. */
async function visibleNodeIds(d: ApiDeps, ctx: ApiContext): Promise<Set<string>> {
  const groups = new Set((await accessOf(d.db, ctx)).groups('viewer'));
  return new Set((await listNodes(d.db)).filter((n) => groups.has(n.groupId)).map((n) => n.id));
}

/** Session requests: open now, or queue for an on-demand node until it checks in. */
export function sessionRequestRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/session-requests',
      permission: 'operate',
      handler: async (ctx) => {
        const body = await readJson(ctx, requestSchema);
        const a = await accessOf(d.db, ctx);
        const node = await nodeParam(d, a, body.node, 'operator');
        const view = await d.queue.request({ nodeId: node.id, service: body.service, userId: a.userId, sourceIp: ctx.state.clientIp });
        const p = principalOf(ctx);
        if (view.session) holdSession(d, p, node.groupId, view.session.id);
        else {
          holdWhileOperator(d, p, node.groupId, {
            end: (reason) => void d.queue.endRequest(view.id, reason).catch((err: Error) => d.log.warn({ err: err.message, requestId: view.id }, 'could not end a session request whose authority ended')),
            done: async () => !(await d.queue.isLive(view.id)),
            nodeId: node.id,
          });
        }
        ctx.status = view.state === 'queued' ? 202 : 201;
        ctx.body = view;
      },
    },
    {
      method: 'GET',
      path: '/v1/session-requests',
      permission: 'read',
      handler: async (ctx) => {
        const visible = await visibleNodeIds(d, ctx);
        ctx.body = (await d.queue.list(ctx.query.all === 'true', principalOf(ctx).userId)).filter((r) => visible.has(r.nodeId));
      },
    },
    {
      method: 'GET',
      path: '/v1/session-requests/:id',
      permission: 'read',
      handler: async (ctx) => {
        const view = await d.queue.get(ctx.params.id as string, principalOf(ctx).userId);
        if (!view || !(await visibleNodeIds(d, ctx)).has(view.nodeId)) throw new BurrowError('SESSION_NOT_FOUND', `No session request ${ctx.params.id as string}.`);
        ctx.body = view;
      },
    },
    {
      method: 'DELETE',
      path: '/v1/session-requests/:id',
      permission: 'operate',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const view = await d.queue.get(ctx.params.id as string);
        if (!view || !(await visibleNodeIds(d, ctx)).has(view.nodeId)) throw new BurrowError('SESSION_NOT_FOUND', `No session request ${ctx.params.id as string}.`);
        const node = await nodeParam(d, a, view.nodeId, 'operator');
        const isAdmin = roleOn(a.access, a.tree, node.groupId) === 'admin';
        ctx.body = await d.queue.cancel(view.id, { userId: a.userId, isAdmin, sourceIp: ctx.state.clientIp });
      },
    },
  ];
}
