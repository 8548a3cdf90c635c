import { z } from 'zod';
import { emailSchema } from '../../../shared/email.js';
import type { Context } from 'koa';
import { BurrowError } from '../../../shared/errors.js';
import { newSecretToken, sha256Hex } from '../../../shared/secrets.js';
import { checkPassword, checkSecondFactor, mustEnrollTotp, signInComplete } from '../../auth/login.js';
import { consoleCookieOptions, findConsoleSession, REMEMBER_COOKIE, SESSION_COOKIE, startConsoleSession, CONSOLE_ABSOLUTE_MS } from '../../auth/consoleSignIn.js';
import { replaceTemporaryPassword } from '../../auth/temporaryPassword.js';
import { recordAudit } from '../../store/auditStore.js';
import { deleteConsoleSession, isBrowserRemembered, rememberBrowser } from '../../store/consoleSessionStore.js';
import { getUser, listGrants } from '../../store/userStore.js';
import { listGroups } from '../../store/groupStore.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const passwordStep = z.object({ email: emailSchema, password: z.string().min(1).max(1024), newPassword: z.string().max(1024).optional() });
const totpStep = z.object({
  totp: z.string().regex(/^\d{6}$/, 'the authenticator code is 6 digits').optional(),
  recoveryCode: z.string().min(10).max(40).optional(),
  remember: z.boolean().default(false),
});

function setSessionCookie(ctx: Context, value: string): void {
  ctx.cookies.set(SESSION_COOKIE, value, consoleCookieOptions(CONSOLE_ABSOLUTE_MS));
}

/** Days a user may have a browser remembered: the strictest of the groups they belong to. */
async function rememberDays(d: ApiDeps, userId: string): Promise<number> {
  const grants = await listGrants(d.db, userId);
  const groups = new Map((await listGroups(d.db)).map((g) => [g.id, g.rememberBrowserDays]));
  if (grants.length === 0) return 0;
  return Math.min(...grants.map((g) => groups.get(g.groupId) ?? 0));
}

/** The console's two-step sign-in: password, then TOTP; the result is a cookie. */
export function consoleAuthRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/auth/console/password',
      permission: 'public',
      handler: async (ctx) => {
        const body = await readJson(ctx, passwordStep);
        const user = await checkPassword(d, body.email, body.password, ctx.state.clientIp);
        // A temporary password is replaced before anything else: the console then shows a
        // change-password step and sends the password step again with `newPassword`.
        await replaceTemporaryPassword(d, user, body.password, body.newPassword, ctx.state.clientIp);
        const remembered = user.totpConfirmed && (await isBrowserRemembered(d.db, sha256Hex(ctx.cookies.get(REMEMBER_COOKIE) ?? ''), user.id, d.clock.now()));
        // Without an enrolled authenticator the sign-in is complete but can only enroll one.
        const stage = user.totpConfirmed && !remembered ? 'totp' : 'full';
        const s = await startConsoleSession(d.db, d.clock, user.id, stage);
        setSessionCookie(ctx, s.cookie);
        if (stage === 'full') {
          await signInComplete(d, user, ctx.state.clientIp);
          await recordAudit(d.db, { actor: user.id, sourceIp: ctx.state.clientIp, action: 'auth.login', target: user.email, result: 'ok', detail: { via: 'console', remembered } }, d.clock.now());
        }
        ctx.body = { next: stage === 'totp' ? 'totp' : 'done', csrfToken: s.csrf, totpEnrollmentRequired: await mustEnrollTotp(d.db, user) };
      },
    },
    {
      method: 'POST',
      path: '/v1/auth/console/totp',
      permission: 'public',
      handler: async (ctx) => {
        const body = await readJson(ctx, totpStep);
        const pending = await findConsoleSession(d.db, d.clock, ctx.cookies.get(SESSION_COOKIE));
        if (!pending || pending.stage !== 'totp') throw new BurrowError('LOGIN_FAILED', 'Enter your email and password first.');
        const user = await getUser(d.db, pending.userId);
        if (!user || user.disabled) throw new BurrowError('LOGIN_FAILED', 'This account is disabled.');
        await checkSecondFactor(d, user, body, ctx.state.clientIp);
        await deleteConsoleSession(d.db, pending.idHash);
        const s = await startConsoleSession(d.db, d.clock, user.id, 'full');
        setSessionCookie(ctx, s.cookie);
        const days = body.remember ? await rememberDays(d, user.id) : 0;
        if (days > 0) {
          const token = newSecretToken('brr');
          await rememberBrowser(d.db, sha256Hex(token), user.id, d.clock.now() + days * 86_400_000);
          ctx.cookies.set(REMEMBER_COOKIE, token, consoleCookieOptions(days * 86_400_000));
        }
        await recordAudit(d.db, { actor: user.id, sourceIp: ctx.state.clientIp, action: 'auth.login', target: user.email, result: 'ok', detail: { via: 'console', rememberedDays: days } }, d.clock.now());
        ctx.body = { next: 'done', csrfToken: s.csrf, rememberedDays: days };
      },
    },
  ];
}
