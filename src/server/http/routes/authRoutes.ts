import { z } from 'zod';
import { login } from '../../auth/login.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type RouteDef } from '../apiContext.js';
import { revokeApiToken } from '../../store/apiTokenStore.js';
import { appendAudit } from '../../store/auditStore.js';

const loginSchema = z.object({
  email: z.string().email().max(254),
  password: z.string().min(1).max(1024),
  totp: z.string().regex(/^\d{6}$/, 'the authenticator code is 6 digits'),
});

/** Sign-in and sign-out for the CLI and API clients. */
export function authRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/auth/login',
      permission: 'public',
      handler: async (ctx) => {
        const body = await readJson(ctx, loginSchema);
        const r = await login(d.db, d.clock, d.box, body, ctx.state.clientIp);
        ctx.body = { token: r.token, expiresAt: new Date(r.expiresAt).toISOString(), userId: r.userId };
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/logout',
      permission: 'authenticated',
      handler: async (ctx) => {
        const p = principalOf(ctx);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await revokeApiToken(tx, p.tokenId, now);
          await appendAudit(tx, { actor: p.userId, sourceIp: ctx.state.clientIp, action: 'auth.logout', target: p.email, result: 'ok' }, now);
        });
        // A signed-out user's session ports must not outlive the sign-in that opened them.
        await d.sessions.closeForUser(p.userId, 'logout');
        ctx.status = 204;
      },
    },
    {
      method: 'GET',
      path: '/v1/auth/whoami',
      permission: 'authenticated',
      handler: async (ctx) => {
        const p = principalOf(ctx);
        ctx.body = { userId: p.userId, email: p.email, scope: p.scope, grants: p.grants };
      },
    },
  ];
}
