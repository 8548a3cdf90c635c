import type { Middleware } from 'koa';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { ApiState } from './apiContext.js';
import { REQUEST_ID_HEADER, requestIdFor } from './requestId.js';

/** Told of every answered request, by route pattern (metrics). */
export interface RequestObserver {
  requestAnswered(method: string, route: string, status: number): void;
}

/** Paths are logged up to this length: a client must not be able to grow a line without bound. */
const MAX_PATH = 256;

/**
 * Gives each request its id (echoed as X-Request-Id, and put into error bodies by the
 * error middleware), then writes one access-log line when the answer is done: request id,
 * method, route pattern, path, status, duration, user, client address. The query string is
 * never logged (it may carry a token), nor are headers. Runs first, so it sees every status.
 */
export function accessLog(o: { clock: Clock; log?: Logger; observer?: RequestObserver }): Middleware<ApiState> {
  return async (ctx, next) => {
    const requestId = requestIdFor(ctx.get(REQUEST_ID_HEADER) || undefined);
    ctx.state.requestId = requestId;
    ctx.set(REQUEST_ID_HEADER, requestId);
    const start = o.clock.now();
    // Logged when the answer is finished or cut, so streamed bodies (events, exports) count whole.
    ctx.res.once('close', () => {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = typeof matched === 'string' ? matched : undefined;
      const status = ctx.res.headersSent ? ctx.res.statusCode : ctx.status;
      o.observer?.requestAnswered(ctx.method, route ?? 'unmatched', status);
      o.log?.info({
        reqId: requestId,
        method: ctx.method,
        route: route ?? null,
        path: ctx.path.length > MAX_PATH ? `${ctx.path.slice(0, MAX_PATH)}…` : ctx.path,
        status,
        durationMs: o.clock.now() - start,
        user: ctx.state.principal?.userId ?? null,
        ip: ctx.state.clientIp,
        ...(ctx.res.writableFinished ? {} : { aborted: true }),
      }, 'request');
    });
    await next();
  };
}
