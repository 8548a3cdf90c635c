import type { RouterContext } from '@koa/router';
import type { TokenScope } from '../store/apiTokenStore.js';

/** The authenticated caller of an API request. */
export interface Principal {
  userId: string;
  email: string;
  tokenId: string;
  scope: TokenScope;
  /** Roles the user holds, per group id. */
  grants: { groupId: string; role: 'admin' | 'operator' | 'viewer' }[];
}

/** Per-request state set by the middlewares. */
export interface ApiState {
  principal?: Principal;
  /** Caller's address, IPv4-mapped prefix removed. */
  clientIp: string;
}

/** The Koa context every handler receives. */
export type ApiContext = RouterContext<ApiState>;

/** Who may call a route. `public` needs nothing; the rest need a valid token and that much. */
export type Permission = 'public' | 'authenticated' | 'read' | 'operate' | 'admin';

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
