import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { serviceNameSchema, sessionTypeSchema } from '../../../shared/protocol.js';
import { requireSessionAccess } from '../../sessions/sessionAccess.js';
import { findNode, getNode } from '../../store/nodeStore.js';
import { listSessions } from '../../store/sessionStore.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type RouteDef } from '../apiContext.js';

const openSchema = z.object({
  node: z.string().min(1).max(100),
  service: serviceNameSchema.default('webui'),
  type: sessionTypeSchema.default('http'),
});

/** The open session named in the path, if the caller may operate on its node. */
async function ownSession(d: ApiDeps, ctx: ApiContext): Promise<string> {
  const id = ctx.params.id as string;
  const s = d.sessions.get(id);
  const node = s && (await getNode(d.db, s.nodeId));
  if (!s || !node) throw new BurrowError('SESSION_NOT_FOUND', `No open session ${id}.`);
  const p = principalOf(ctx);
  if (s.userId !== p.userId) await requireSessionAccess(d.db, p.grants.filter((g) => g.role === 'admin'), node.groupId);
  return id;
}

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
        const p = principalOf(ctx);
        await requireSessionAccess(d.db, p.grants, node.groupId);
        ctx.status = 201;
        ctx.body = await d.sessions.open({ nodeId: node.id, service: body.service, type: body.type, userId: p.userId, sourceIp: ctx.state.clientIp });
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
        ctx.body = await d.sessions.extend(await ownSession(d, ctx));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/:id',
      permission: 'operate',
      handler: async (ctx) => {
        const id = await ownSession(d, ctx);
        if (!(await d.sessions.close(id, 'closed-by-user', principalOf(ctx).userId))) {
          throw new BurrowError('SESSION_NOT_FOUND', `No open session ${id}.`);
        }
        ctx.status = 204;
      },
    },
  ];
}
