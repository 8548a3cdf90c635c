import { ServerResponse, type IncomingMessage } from 'node:http';
import type Koa from 'koa';
import { BurrowError } from '../../shared/errors.js';
import { clientAddress } from '../clientAddress.js';
import { checkCsrf, findConsoleSession, SESSION_COOKIE } from '../auth/consoleSignIn.js';
import type { ApiDeps } from '../http/apiDeps.js';
import type { ApiContext, ApiState, Principal } from '../http/apiContext.js';
import { accessOf } from '../http/accessOf.js';
import { authenticate, requirePermission } from '../http/authorize.js';
import { auditRefusedCall } from '../http/refusedCallAudit.js';
import { nodeParam } from '../http/routes/nodeRoutes.js';
import type { NodeRecord } from '../store/nodeStore.js';

/** Who opens a terminal, on which node. */
export interface TerminalGrant {
  principal: Principal;
  node: NodeRecord;
  clientIp: string;
}

/**
 * Applies the API's own rules to a terminal upgrade request: a Bearer token, or the
 * console cookie plus its CSRF token in the `csrf` query parameter (a browser cannot set
 * headers on a WebSocket, and the cookie alone would let any page open one); then a
 * TOTP-enrolled caller with the operator role on the node's group.
 */
export async function authorizeTerminal(d: ApiDeps, app: Koa<ApiState>, req: IncomingMessage, nodeRef: string, url: URL): Promise<TerminalGrant> {
  const ctx = app.createContext(req, new ServerResponse(req)) as unknown as ApiContext;
  ctx.state.clientIp = clientAddress(req.socket).ip;
  try {
    const principal = await authenticate(d.db, d.clock, ctx);
    if (principal.via === 'console') {
      const session = await findConsoleSession(d.db, d.clock, ctx.cookies.get(SESSION_COOKIE));
      if (!session) throw new BurrowError('UNAUTHENTICATED', 'Sign in first.');
      checkCsrf(session, url.searchParams.get('csrf') ?? undefined);
    }
    ctx.state.principal = principal;
    requirePermission(principal, 'operate');
    const node = await nodeParam(d, await accessOf(d.db, ctx), nodeRef, 'operator');
    return { principal, node, clientIp: ctx.state.clientIp };
  } catch (err) {
    auditRefusedCall(d.denials, ctx, 'GET /v1/nodes/:id/shell', err);
    throw err;
  }
}
