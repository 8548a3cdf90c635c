import { z } from 'zod';
import { emailSchema } from '../../../shared/email.js';
import { BurrowError } from '../../../shared/errors.js';
import { checkPassword, checkSecondFactor, issueLoginToken, mustEnrollTotp } from '../../auth/login.js';
import { checkNewPassword, replaceTemporaryPassword } from '../../auth/temporaryPassword.js';
import { beginTotpEnrollment, confirmTotpEnrollment } from '../../auth/totpEnrollment.js';
import { revokeApiToken } from '../../store/apiTokenStore.js';
import { appendAudit } from '../../store/auditStore.js';
import { deleteConsoleSession, endUserSignIns } from '../../store/consoleSessionStore.js';
import { setPasswordHash, getUser } from '../../store/userStore.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../../auth/password.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type RouteDef } from '../apiContext.js';
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
const passwordSchema = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().max(1024) });

/** Sign-in for the CLI and API clients, TOTP enrollment, password change, sign-out. */
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
        const p = principalOf(ctx);
        const user = await getUser(d.db, p.userId);
        if (!user || !(await verifyPassword(body.currentPassword, user.passwordHash))) throw new BurrowError('LOGIN_FAILED', 'The current password is wrong.');
        checkPasswordStrength(body.newPassword);
        const hash = await hashPassword(body.newPassword);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await setPasswordHash(tx, user.id, hash);
          // Every other sign-in ends: a changed password must lock out whoever knew the old one.
          await endUserSignIns(tx, user.id, now);
          await appendAudit(tx, { actor: user.id, sourceIp: ctx.state.clientIp, action: 'user.password-change', target: user.email, result: 'ok' }, now);
        });
        ctx.status = 204;
      },
    },
  ];
}
