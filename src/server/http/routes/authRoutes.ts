import { z } from 'zod';
import { emailSchema } from '../../../shared/email.js';
import { BurrowError } from '../../../shared/errors.js';
import { checkPassword, checkSecondFactor, issueLoginToken, mustEnrollTotp } from '../../auth/login.js';
import { checkNewPassword, replaceTemporaryPassword } from '../../auth/temporaryPassword.js';
import { beginTotpEnrollment, confirmTotpEnrollment } from '../../auth/totpEnrollment.js';
import { revokeApiToken } from '../../store/apiTokenStore.js';
import { appendAudit } from '../../store/auditStore.js';
import { deleteConsoleSession } from '../../store/consoleSessionStore.js';
import { getUser } from '../../store/userStore.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type Principal, type RouteDef } from '../apiContext.js';
import { changeOwnEmail, changeOwnPassword } from '../../auth/accountChange.js';
import { consoleCookieOptions, csrfTokenOf, SESSION_COOKIE } from '../../auth/consoleSignIn.js';

const loginSchema = z.object({
  email: emailSchema,
  password: z.string().min(1).max(1024),
  totp: z.string().regex(/^\d{6}$/, 'the authenticator code is 6 digits').optional(),
  recoveryCode: z.string().min(10).max(40).optional(),
  /** Replaces a temporary password (required when the password is one). */
  newPassword: z.string().max(1024).optional(),
});
const codeSchema = z.object({ code: z.string().regex(/^\d{6}$/, 'the authenticator code is 6 digits') });
const totp = z.string().regex(/^\d{6}$/, 'the authenticator code is 6 digits').optional();
const passwordSchema = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().max(1024), totp });
const emailSchemaBody = z.object({ currentPassword: z.string().min(1).max(1024), email: emailSchema, totp });

/** The caller, if signed in with a password (console or CLI login): an API token cannot change the account's secrets. */
function interactive(ctx: ApiContext, what: string): Principal {
  const p = principalOf(ctx);
  if (!p.interactive) throw new BurrowError('FORBIDDEN', `Sign in with your password to change your ${what}; an API token cannot.`);
  return p;
}

/** Sign-in for the CLI and API clients, TOTP enrollment, own password and email change, sign-out. */
export function authRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/auth/login',
      permission: 'public',
      handler: async (ctx) => {
        const body = await readJson(ctx, loginSchema);
        const user = await checkPassword(d, body.email, body.password, ctx.state.clientIp);
        const enrolling = !user.totpConfirmed && !body.totp && !body.recoveryCode;
        checkNewPassword(user, body.password, body.newPassword);
        if (!enrolling) await checkSecondFactor(d, user, body, ctx.state.clientIp);
        await replaceTemporaryPassword(d, user, body.password, body.newPassword, ctx.state.clientIp);
        const r = await issueLoginToken(d, user, ctx.state.clientIp);
        const fresh = (await getUser(d.db, user.id)) ?? user;
        ctx.body = { token: r.token, expiresAt: new Date(r.expiresAt).toISOString(), userId: user.id, totpEnrollmentRequired: await mustEnrollTotp(d.db, fresh) };
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/logout',
      permission: 'totp-setup',
      handler: async (ctx) => {
        const p = principalOf(ctx);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          if (p.via === 'token') await revokeApiToken(tx, p.credentialId, now);
          else await deleteConsoleSession(tx, p.credentialId);
          await appendAudit(tx, { actor: p.userId, sourceIp: ctx.state.clientIp, action: 'auth.logout', target: p.email, result: 'ok' }, now);
        });
        // A browser drops a `__Host-` cookie only when told with the attributes that set it
        // (Secure among them: a token's logout, which has no cookie, may come over any transport).
        if (p.via === 'console') ctx.cookies.set(SESSION_COOKIE, null, consoleCookieOptions());
        d.authority.changed({ userId: p.userId, reason: 'logout' });
        // A signed-out user's session ports must not outlive the sign-in that opened them.
        await d.sessions.closeForUser(p.userId, 'logout');
        ctx.status = 204;
      },
    },
    {
      method: 'GET',
      path: '/v1/auth/whoami',
      permission: 'totp-setup',
      handler: async (ctx) => {
        const p = principalOf(ctx);
        // A console page reloaded has lost its in-memory CSRF token: hand it the sign-in's own
        // one again (a GET changes nothing). A cross-origin page cannot read this answer.
        const cookie = ctx.cookies.get(SESSION_COOKIE);
        const csrf = p.via === 'console' && cookie ? { csrfToken: csrfTokenOf(cookie) } : {};
        ctx.body = { userId: p.userId, email: p.email, via: p.via, scope: p.access.scope, grants: p.access.grants, totpEnrollmentRequired: p.mustEnrollTotp, ...csrf };
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/totp/setup',
      permission: 'totp-setup',
      handler: async (ctx) => {
        ctx.body = await beginTotpEnrollment(d.db, d.box, principalOf(ctx).userId);
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/totp/confirm',
      permission: 'totp-setup',
      handler: async (ctx) => {
        const body = await readJson(ctx, codeSchema);
        const codes = await confirmTotpEnrollment(d.db, d.box, d.clock, principalOf(ctx).userId, body.code, ctx.state.clientIp);
        ctx.body = { recoveryCodes: codes };
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/password',
      permission: 'authenticated',
      handler: async (ctx) => {
        const body = await readJson(ctx, passwordSchema);
        const p = interactive(ctx, 'password');
        await changeOwnPassword(d, p, body, body.newPassword, ctx.state.clientIp);
        // Holders opened by the sign-ins that just ended stop now; this one's stay.
        d.authority.changed({ userId: p.userId, reason: 'password-changed' });
        // WebUI session ports do not know the sign-in that opened them: all of the user's close.
        await d.sessions.closeForUser(p.userId, 'password-changed');
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/email',
      permission: 'authenticated',
      handler: async (ctx) => {
        const body = await readJson(ctx, emailSchemaBody);
        const p = interactive(ctx, 'email');
        await changeOwnEmail(d, p.userId, body, body.email, ctx.state.clientIp);
        ctx.body = { userId: p.userId, email: body.email };
      },
    },
  ];
}
