import type { Middleware } from 'koa';
import { BurrowError, toBurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

/**
 * Turns every failure into `{"error":{"code","message"}}` with the code's status.
 * Internal errors are logged in full and answered without detail.
 */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new BurrowError('ROUTE_NOT_FOUND', `No route ${ctx.method} ${ctx.path}.`);
      }
    } catch (raw) {
      const err = toBurrowError(raw);
      if (!err.expose) log.error({ err: raw }, 'request failed');
      ctx.status = err.status;
      ctx.body = { error: { code: err.code, message: err.expose ? err.message : 'Internal error.' } };
    }
  };
}
