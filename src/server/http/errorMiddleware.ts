import type { Middleware } from 'koa';
import { BurrowError, toBurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

/**
 * Turns every failure into `{"error":{"code","message","requestId"}}` with the code's status.
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
      const err = fromHttpError(raw) ?? toBurrowError(raw);
      if (!err.expose) log.error({ err: raw, reqId: (ctx.state as { requestId?: string }).requestId }, 'request failed');
      ctx.status = err.status;
      const requestId = (ctx.state as { requestId?: string }).requestId;
      ctx.body = { error: { code: err.code, message: err.expose ? err.message : 'Internal error.', ...(requestId ? { requestId } : {}) } };
    }
  };
}

/**
 * Koa and the router throw http-errors (status + expose) for what is wrong with the request
 * itself: a method a path does not take (405), a method nobody knows (501, which is a 5xx
 * for bad input), a malformed escape in the path (400). Each becomes our error shape.
 */
function fromHttpError(raw: unknown): BurrowError | undefined {
  if (raw instanceof BurrowError || typeof raw !== 'object' || raw === null) return undefined;
  const status = (raw as { status?: unknown }).status;
  if (typeof status !== 'number') return undefined;
  if (status === 405 || status === 501) return new BurrowError('METHOD_NOT_ALLOWED', 'This path does not take that method.', { cause: raw });
  if (status === 413) return new BurrowError('PAYLOAD_TOO_LARGE', 'The request body is too large.', { cause: raw });
  if (status >= 400 && status < 500) return new BurrowError('BAD_REQUEST', 'The request is malformed.', { cause: raw });
  return undefined;
}
