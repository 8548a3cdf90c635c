import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { serviceNameSchema, sessionTypeSchema } from '../../../shared/protocol.js';
import { listNodes } from '../../store/nodeStore.js';
import { getSession, listSessions } from '../../store/sessionStore.js';
import { listUsers } from '../../store/userStore.js';
import { accessOf } from '../accessOf.js';
import { nodeParam } from './nodeRoutes.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type Principal, type RouteDef } from '../apiContext.js';
import { holdWhileOperator } from '../holdWhileOperator.js';

const openSchema = z.object({
  node: z.string().min(1).max(100),
  service: serviceNameSchema.default('webui'),
  /** Absent: the type the node declared for the service (tcp://…), else http. */
  type: sessionTypeSchema.optional(),
  /** A tcp session guarded by source address alone instead of `burrow tcp`'s proof. */
  bare: z.boolean().optional(),
});

/** The session in the path, if the caller may operate its node. */
async function sessionParam(d: ApiDeps, ctx: ApiContext) {
  const a = await accessOf(d.db, ctx);
  const s = await getSession(d.db, ctx.params.id as string);
  if (!s) throw new BurrowError('SESSION_NOT_FOUND', `No session ${ctx.params.id as string}.`);
  try {
    await nodeParam(d, a, s.nodeId, 'operator');
  } catch (err) {
    if (err instanceof BurrowError && err.code === 'NODE_NOT_FOUND') throw new BurrowError('SESSION_NOT_FOUND', `No session ${s.id}.`);
    throw err;
  }
  return a;
}

/** Keeps a session open only while its opener may still operate its node with the same credential. */
export function holdSession(d: ApiDeps, p: Principal, groupId: string, sessionId: string): void {
  holdWhileOperator(d, p, groupId, {
    end: (reason) => void d.sessions.close(sessionId, reason).catch((err: Error) => d.log.warn({ err: err.message, sessionId }, 'could not close a session whose authority ended')),
    done: () => d.sessions.get(sessionId) === undefined,
    nodeId: d.sessions.get(sessionId)?.nodeId,
  });
}

/** Sessions: open, list, extend, close, and tickets for `burrow tcp`. */
export function sessionRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/sessions',
      permission: 'operate',
      handler: async (ctx) => {
        const body = await readJson(ctx, openSchema);
        const a = await accessOf(d.db, ctx);
        const node = await nodeParam(d, a, body.node, 'operator');
        // A session may wait for approval on site: the caller hanging up withdraws the request.
        const gone = new AbortController();
        const onClose = () => {
          if (!ctx.res.writableFinished) gone.abort();
        };
        ctx.res.once('close', onClose);
        const view = await d.sessions
          .open({ nodeId: node.id, service: body.service, ...(body.type ? { type: body.type } : {}), ...(body.bare ? { bare: true } : {}), userId: a.userId, sourceIp: ctx.state.clientIp, signal: gone.signal })
          .finally(() => ctx.res.off('close', onClose));
        holdSession(d, principalOf(ctx), node.groupId, view.id);
        ctx.status = 201;
        ctx.body = view;
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions',
      permission: 'read',
      handler: async (ctx) => {
        const all = ctx.query.all === 'true';
        const a = await accessOf(d.db, ctx);
        const visible = new Set(a.groups('viewer'));
        const nodes = new Map((await listNodes(d.db)).filter((n) => visible.has(n.groupId)).map((n) => [n.id, n.name]));
        const emails = new Map((await listUsers(d.db)).map((u) => [u.id, u.email]));
        ctx.body = (await listSessions(d.db, { all }))
          .filter((s) => nodes.has(s.nodeId))
          .map((s) => ({ ...d.sessions.view(d.sessions.get(s.id) ?? s), node: nodes.get(s.nodeId), user: s.userId === null ? null : (emails.get(s.userId) ?? null) }));
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/:id/extend',
      permission: 'operate',
      handler: async (ctx) => {
        await sessionParam(d, ctx);
        ctx.body = await d.sessions.extend(ctx.params.id as string);
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/:id/tickets',
      permission: 'operate',
      handler: async (ctx) => {
        const a = await sessionParam(d, ctx);
        ctx.status = 201;
        ctx.body = await d.sessions.ticket(ctx.params.id as string, a.userId, ctx.state.clientIp);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/:id',
      permission: 'operate',
      handler: async (ctx) => {
        const id = ctx.params.id as string;
        const a = await sessionParam(d, ctx);
        if (!(await d.sessions.close(id, 'closed-by-user', a.userId))) {
          throw new BurrowError('SESSION_CLOSED', `Session ${id} is already closed.`);
        }
        ctx.status = 204;
      },
    },
  ];
}
