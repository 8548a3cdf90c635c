import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { emailSchema } from '../../../shared/email.js';
import { BurrowError } from '../../../shared/errors.js';
import { changeEmail } from '../../auth/accountChange.js';
import { hashPassword } from '../../auth/password.js';
import { TEMPORARY_PASSWORD_TTL_MS } from '../../auth/temporaryPassword.js';
import { appendAudit } from '../../store/auditStore.js';
import { endUserSignIns } from '../../store/consoleSessionStore.js';
import { markUserDeleted, setTemporaryPassword } from '../../store/userStore.js';
import { readJson } from '../body.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';
import { notSelf, userParam } from '../userParam.js';

const emailBody = z.object({ email: emailSchema });

/** An administrator's acts on an account's life: delete it, reset its password, change its email. */
export function userLifecycleRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'DELETE',
      path: '/v1/users/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const user = await userParam(d, a, ctx);
        notSelf(a, user, 'delete');
        const now = d.clock.now();
        // The audit trail keeps the email: entries carry it as written, and this one names it.
        await d.db.transaction(async (tx) => {
          await endUserSignIns(tx, user.id, now);
          await markUserDeleted(tx, user, now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.delete', target: user.email, result: 'ok', detail: { userId: user.id } }, now);
        });
        d.authority.changed({ userId: user.id, reason: 'user-deleted' });
        await d.sessions.closeForUser(user.id, 'user-deleted');
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/users/:id/reset-password',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const user = await userParam(d, a, ctx);
        notSelf(a, user, 'reset the password of');
        const password = randomBytes(15).toString('base64url');
        const hash = await hashPassword(password);
        const now = d.clock.now();
        const until = now + TEMPORARY_PASSWORD_TTL_MS;
        // A reset is what follows a lost or leaked password: whatever the old one opened ends.
        await d.db.transaction(async (tx) => {
          await setTemporaryPassword(tx, user.id, hash, until);
          await endUserSignIns(tx, user.id, now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.reset-password', target: user.email, result: 'ok' }, now);
        });
        d.authority.changed({ userId: user.id, reason: 'password-reset' });
        await d.sessions.closeForUser(user.id, 'password-reset');
        ctx.body = { id: user.id, email: user.email, temporaryPassword: password, temporaryPasswordExpiresAt: new Date(until).toISOString() };
      },
    },
    {
      method: 'PATCH',
      path: '/v1/users/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, emailBody);
        const a = await accessOf(d.db, ctx);
        const user = await userParam(d, a, ctx);
        // One's own email changes with the password and a code again (POST /v1/auth/email).
        if (user.id === a.userId) throw new BurrowError('FORBIDDEN', 'Change your own email with "burrow admin email" or on your account page.');
        await changeEmail(d, user, body.email, a.userId, ctx.state.clientIp);
        ctx.body = { id: user.id, email: body.email };
      },
    },
  ];
}
