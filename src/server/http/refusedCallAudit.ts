import { BurrowError } from '../../shared/errors.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import type { ApiContext } from './apiContext.js';

/**
 * Audits a refused call to a route that needs a principal (401 or 403; `route` as
 * "METHOD /path/:param"): who tried (or
 * `anonymous` when the credential itself was refused), from where, which route and why.
 * The recorder rate-limits, so a flood of refusals cannot flood the log.
 */
export function auditRefusedCall(denials: DenialRecorder, ctx: ApiContext, route: string, err: unknown): void {
  if (!(err instanceof BurrowError) || (err.status !== 401 && err.status !== 403)) return;
  const p = ctx.state.principal;
  denials.denied({
    actor: p?.userId ?? 'anonymous',
    actorEmail: p?.email ?? null,
    sourceIp: ctx.state.clientIp,
    action: 'api.denied',
    objectType: 'route',
    target: route,
    detail: { code: err.code, path: ctx.path },
  });
}
