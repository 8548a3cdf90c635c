import { PassThrough } from 'node:stream';
import type { TimerHandle } from '../../../shared/clock.js';
import type { SessionView } from '../../../shared/protocol.js';
import { groupsWith, type Access } from '../../auth/access.js';
import { authorityEndNotice, type AuthorityEndReason } from '../../auth/authorityBus.js';
import type { GroupTree } from '../../auth/groupTree.js';
import { recordAudit } from '../../store/auditStore.js';
import { getNode } from '../../store/nodeStore.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type RouteDef } from '../apiContext.js';
import { ConsoleEventHub, type ConsoleEvent } from '../consoleEventHub.js';
import { nodeView } from './nodeRoutes.js';

/** A comment line this often keeps proxies and browsers from timing the stream out. */
export const KEEPALIVE_MS = 15_000;

/** One Server-Sent Event frame. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A session as broadcast to every viewer of its node: without its URL, which may carry
 * the one-time token meant only for the person who opened it.
 */
function publicSession(v: SessionView | Omit<SessionView, 'url'>): Omit<SessionView, 'url'> {
  const rest: Partial<SessionView> = { ...v };
  delete rest.url;
  return rest as Omit<SessionView, 'url'>;
}

/**
 * Live updates for the console: nodes going online/offline, sessions opening/closing,
 * requests for approval on site waiting, decided and withdrawn.
 * A stream lives only as long as its caller's authority: it ends with an `end` event
 * (and an audit entry) on logout, disable, token revocation or expiry, or the loss of
 * every role; and each event is checked against the groups the caller may see when it
 * is delivered, re-read whenever an authority change for the caller came in.
 */
export function eventRoutes(d: ApiDeps): RouteDef[] {
  const hub = new ConsoleEventHub(d.registry, d.sessions, d.cluster, d.approvalBoard);
  return [
    {
      method: 'GET',
      path: '/v1/events',
      permission: 'read',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const p = principalOf(ctx);
        const credential = { userId: p.userId, via: p.via, credentialId: p.credentialId };
        let visible = new Set(a.groups('viewer'));
        /** Takes the caller's current access; false when it no longer allows a stream at all. */
        const allows = (access: Access, tree: GroupTree) => {
          visible = new Set(groupsWith(access, tree, 'viewer'));
          return visible.size > 0;
        };
        const stream = new PassThrough();
        const send = (event: string, data: unknown) => {
          if (!stream.writableEnded) stream.write(sseFrame(event, data));
        };
        let timer: TimerHandle | undefined;
        let release = () => undefined as void;
        let unsubscribe = () => undefined as void;
        const cleanup = () => {
          if (timer) d.clock.clearTimeout(timer);
          unsubscribe();
          release();
          stream.end();
        };
        const end = (reason: AuthorityEndReason) => {
          if (stream.writableEnded) return;
          send('end', { reason, ...authorityEndNotice(reason) });
          cleanup();
          recordAudit(d.db, { actor: p.userId, sourceIp: ctx.state.clientIp, action: 'events.close', target: p.email, result: 'ok', detail: { reason, via: p.via } }, d.clock.now())
            .catch((err: Error) => d.log.warn({ err: err.message }, 'could not record the end of an event stream'));
        };
        let seen = d.authority.version(p.userId);
        /** Re-reads the caller's authority if a change came in since the last look. */
        const fresh = async (): Promise<boolean> => {
          const now = d.authority.version(p.userId);
          if (now !== seen) {
            seen = now;
            const { authority, tree } = await d.authority.current(credential);
            if (!authority.ok) end(authority.reason);
            else if (!allows(authority.access, tree)) end('grant-removed');
          }
          return !stream.writableEnded;
        };
        const deliver = async (e: ConsoleEvent) => {
          if (!(await fresh())) return;
          if (e.kind === 'session') {
            if (visible.has(e.groupId)) send(e.event, publicSession(e.view));
            return;
          }
          if (e.kind === 'approval') {
            // Only to those who may see the node's group as it is now (the node may have moved
            // since the request was announced): the request names who asks and what for.
            const groupId = (await getNode(d.db, e.notice.nodeId))?.groupId ?? e.groupId;
            if (visible.has(groupId)) send(e.event, e.notice);
            return;
          }
          const n = await getNode(d.db, e.nodeId);
          if (!n || !visible.has(n.groupId)) return;
          // The event says how the node stood when it happened; the directory may already know more.
          const view = { ...nodeView(d, n), online: e.online };
          send(e.online ? 'node.online' : 'node.offline', view);
        };
        // One event at a time, in order: each may wait on the store.
        let queue = Promise.resolve();
        unsubscribe = hub.subscribe((e) => {
          queue = queue.then(() => deliver(e)).catch((err: Error) => d.log.warn({ err: err.message }, 'event lookup failed'));
        });
        release = d.authority.hold({ credential, allows, end });
        const keepAlive = () => {
          if (!stream.writableEnded) stream.write(': keep-alive\n\n');
          timer = d.clock.setTimeout(keepAlive, KEEPALIVE_MS);
        };
        timer = d.clock.setTimeout(keepAlive, KEEPALIVE_MS);
        ctx.res.once('close', cleanup);
        ctx.status = 200;
        ctx.type = 'text/event-stream';
        ctx.set('Cache-Control', 'no-store');
        // Tells a buffering reverse proxy (nginx) to pass each event on at once.
        ctx.set('X-Accel-Buffering', 'no');
        ctx.body = stream;
        // The retry hint and a first event tell the console that it is connected.
        stream.write(`retry: 3000\n${sseFrame('ready', { at: new Date(d.clock.now()).toISOString() })}`);
      },
    },
  ];
}
