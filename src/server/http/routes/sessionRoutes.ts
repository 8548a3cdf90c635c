import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { serviceNameSchema } from '../../../shared/protocol.js';
import { findNode } from '../../store/nodeStore.js';
import { listSessions } from '../../store/sessionStore.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type RouteDef } from '../apiContext.js';

const openSchema = z.object({ node: z.string().min(1).max(100), service: serviceNameSchema.default('webui') });

/** WebUI sessions: open, list, extend, close. */
export function sessionRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/sessions',
      permission: 'operate',
      handler: async (ctx) => {
        const body = await readJson(ctx, openSchema);
        const node = await findNode(d.db, body.node);
        if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${body.node}.`);
        ctx.status = 201;
        ctx.body = await d.sessions.open({ nodeId: node.id, service: body.service, userId: principalOf(ctx).userId, sourceIp: ctx.state.clientIp });
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions',
      permission: 'read',
      handler: async (ctx) => {
        const all = ctx.query.all === 'true';
        ctx.body = (await listSessions(d.db, { all })).map((s) => d.sessions.view(d.sessions.get(s.id) ?? s));
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/:id/extend',
      permission: 'operate',
      handler: async (ctx) => {
        ctx.body = d.sessions.extend(ctx.params.id as string);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/:id',
      permission: 'operate',
      handler: async (ctx) => {
        const id = ctx.params.id as string;
        if (!(await d.sessions.close(id, 'closed-by-user', principalOf(ctx).userId))) {
          throw new BurrowError('SESSION_NOT_FOUND', `No open session ${id}.`);
        }
        ctx.status = 204;
      },
    },
  ];
}
