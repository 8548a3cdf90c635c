import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { serviceNameSchema } from '../../../shared/protocol.js';
import { findNode } from '../../store/nodeStore.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type RouteDef } from '../apiContext.js';

const requestSchema = z.object({ node: z.string().min(1).max(100), service: serviceNameSchema.default('webui') });

/** Session requests: open now, or queue for an on-demand node until it checks in. */
export function sessionRequestRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/session-requests',
      permission: 'operate',
      handler: async (ctx) => {
        const body = await readJson(ctx, requestSchema);
        const node = await findNode(d.db, body.node);
        if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${body.node}.`);
        const view = await d.queue.request({ nodeId: node.id, service: body.service, userId: principalOf(ctx).userId, sourceIp: ctx.state.clientIp });
        ctx.status = view.state === 'queued' ? 202 : 201;
        ctx.body = view;
      },
    },
    {
      method: 'GET',
      path: '/v1/session-requests',
      permission: 'read',
      handler: async (ctx) => {
        ctx.body = await d.queue.list(ctx.query.all === 'true');
      },
    },
    {
      method: 'GET',
      path: '/v1/session-requests/:id',
      permission: 'read',
      handler: async (ctx) => {
        const view = await d.queue.get(ctx.params.id as string);
        if (!view) throw new BurrowError('SESSION_NOT_FOUND', `No session request ${ctx.params.id as string}.`);
        ctx.body = view;
      },
    },
    {
      method: 'DELETE',
      path: '/v1/session-requests/:id',
      permission: 'operate',
      handler: async (ctx) => {
        const p = principalOf(ctx);
        ctx.body = await d.queue.cancel(ctx.params.id as string, { userId: p.userId, isAdmin: p.grants.some((g) => g.role === 'admin'), sourceIp: ctx.state.clientIp });
      },
    },
  ];
}
