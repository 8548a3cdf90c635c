import type { RouterContext } from '@koa/router';
import type { Access } from '../auth/access.js';

/** The authenticated caller of an API request. */
export interface Principal {
  userId: string;
  email: string;
  /** How the caller signed in: an API/CLI token, or a console cookie. */
  via: 'token' | 'console';
  /** The token id, or the hash of the console cookie. */
  credentialId: string;
  /** Signed in by password and TOTP (a console session or a CLI login), not an API token. */
  interactive: boolean;
  access: Access;
  /** An admin or operator who has not enrolled TOTP may only enroll it. */
  mustEnrollTotp: boolean;
}

/** Per-request state set by the middlewares. */
export interface ApiState {
  principal?: Principal;
  /** Caller's address, IPv4-mapped prefix removed. */
  clientIp: string;
  /** This request's id: echoed as X-Request-Id, logged, and put into error bodies. */
  requestId?: string;
}

/** The Koa context every handler receives. */
export type ApiContext = RouterContext<ApiState>;

/**
 * Who may call a route. `public` needs nothing; `totp-setup` any signed-in caller, even
 * one who must still enroll TOTP; `authenticated` a signed-in caller done with TOTP; the
 * roles, that role on at least one group (handlers then check the object's own group).
 */
export type Permission = 'public' | 'totp-setup' | 'authenticated' | 'read' | 'operate' | 'admin';

/** One API route, as data, so tests can walk the whole table. */
export interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  path: string;
  permission: Permission;
  handler: (ctx: ApiContext) => Promise<void>;
}

/** The principal of a request on a route that required one. */
export function principalOf(ctx: ApiContext): Principal {
  const p = ctx.state.principal;
  if (!p) throw new Error('route needs a principal but has none; check its permission');
  return p;
}
