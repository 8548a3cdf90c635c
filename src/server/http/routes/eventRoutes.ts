import { PassThrough } from 'node:stream';
import type { TimerHandle } from '../../../shared/clock.js';
import type { SessionView } from '../../../shared/protocol.js';
import { getNode } from '../../store/nodeStore.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';
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
function publicSession(v: SessionView): Omit<SessionView, 'url'> {
  const rest: Partial<SessionView> = { ...v };
  delete rest.url;
  return rest as Omit<SessionView, 'url'>;
}

/** Live updates for the console: nodes going online/offline, sessions opening/closing. */
export function eventRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/events',
      permission: 'read',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        // Fixed at connect time: a changed role takes effect when the console reconnects.
        const visible = new Set(a.groups('viewer'));
        const stream = new PassThrough();
        const send = (event: string, data: unknown) => {
          if (!stream.writableEnded) stream.write(sseFrame(event, data));
        };
        const onNode = (online: boolean) => (nodeId: string) => {
          void getNode(d.db, nodeId)
            .then((n) => {
              if (n && visible.has(n.groupId)) send(online ? 'node.online' : 'node.offline', nodeView(d, n));
            })
            .catch((err: Error) => d.log.warn({ err: err.message }, 'event lookup failed'));
        };
        const onSession = (event: string) => (view: SessionView, groupId: string) => {
          if (visible.has(groupId)) send(event, publicSession(view));
        };
        const listeners = {
          online: onNode(true),
          offline: onNode(false),
          opened: onSession('session.opened'),
          closed: onSession('session.closed'),
        };
        d.registry.on('online', listeners.online);
        d.registry.on('offline', listeners.offline);
        d.sessions.on('opened', listeners.opened);
        d.sessions.on('closed', listeners.closed);
        let timer: TimerHandle | undefined;
        const keepAlive = () => {
          if (!stream.writableEnded) stream.write(': keep-alive\n\n');
          timer = d.clock.setTimeout(keepAlive, KEEPALIVE_MS);
        };
        timer = d.clock.setTimeout(keepAlive, KEEPALIVE_MS);
        const cleanup = () => {
          if (timer) d.clock.clearTimeout(timer);
          d.registry.off('online', listeners.online);
          d.registry.off('offline', listeners.offline);
          d.sessions.off('opened', listeners.opened);
          d.sessions.off('closed', listeners.closed);
          stream.end();
        };
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
