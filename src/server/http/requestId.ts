import { newId } from '../../shared/secrets.js';

/** The header a request id arrives in and is echoed back in. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What an incoming id may look like: short and plain, so it cannot forge log structure or bloat lines. */
const WELL_FORMED = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The id of a request: the caller's own (a balancer or client correlating its logs) when it
 * is well-formed and short, otherwise a fresh one.
 */
export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && WELL_FORMED.test(incoming) ? incoming : newId('req');
}
