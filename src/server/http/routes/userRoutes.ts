import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { emailSchema } from '../../../shared/email.js';
import { BurrowError } from '../../../shared/errors.js';
import { newId } from '../../../shared/secrets.js';
import { roleAtLeast, roleOn } from '../../auth/access.js';
import { checkEmailInUseThrottle, emailInUse, recordEmailInUse } from '../../auth/emailInUse.js';
import { checkPasswordStrength, hashPassword } from '../../auth/password.js';
import { unlockSignIn } from '../../auth/signInThrottle.js';
import { TEMPORARY_PASSWORD_TTL_MS } from '../../auth/temporaryPassword.js';
import { appendAudit } from '../../store/auditStore.js';
import { endUserSignIns } from '../../store/consoleSessionStore.js';
import { getUser, getUserByEmail, grantRole, insertUser, listAllGrants, listUsers, revokeRole, setTotpSecret, setUserDisabled, type UserRecord } from '../../store/userStore.js';
import { readJson } from '../body.js';
import { accessOf, groupParam, type RequestAccess } from '../accessOf.js';
import { notSelf, userParam } from '../userParam.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const role = z.enum(['admin', 'operator', 'viewer']);
const createSchema = z.object({ email: emailSchema, password: z.string().max(1024).optional(), role, group: z.string().min(1).max(100) });
const grantSchema = z.object({ role, group: z.string().min(1).max(100) });

/** Accounts: create, list, roles, disable, TOTP reset. */
export function userRoutes(d: ApiDeps): RouteDef[] {
  const view = async (a: RequestAccess, users: UserRecord[]) => {
    const grants = await listAllGrants(d.db);
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      disabled: u.disabled,
      totpEnrolled: u.totpConfirmed,
      grants: grants.filter((g) => g.userId === u.id && (a.isRootAdmin() || roleOn(a.access, a.tree, g.groupId))).map((g) => ({ group: g.groupId, path: a.tree.path(g.groupId), role: g.role })),
    }));
  };
  const setDisabled = (disabled: boolean): RouteDef['handler'] => async (ctx) => {
    const a = await accessOf(d.db, ctx);
    const user = await userParam(d, a, ctx);
    notSelf(a, user, disabled ? 'disable' : 'enable');
    const now = d.clock.now();
    await d.db.transaction(async (tx) => {
      await setUserDisabled(tx, user.id, disabled);
      if (disabled) await endUserSignIns(tx, user.id, now);
      await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: disabled ? 'user.disable' : 'user.enable', target: user.email, result: 'ok' }, now);
    });
    if (disabled) {
      d.authority.changed({ userId: user.id, reason: 'user-disabled' });
      await d.sessions.closeForUser(user.id, 'user-disabled');
    }
    ctx.body = (await view(a, [{ ...user, disabled }]))[0];
  };
  return [
    {
      method: 'GET',
      path: '/v1/users',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const mine = new Set(a.groups('admin'));
        const grants = await listAllGrants(d.db);
        const users = (await listUsers(d.db)).filter((u) => a.isRootAdmin() || grants.some((g) => g.userId === u.id && mine.has(g.groupId)));
        ctx.body = await view(a, users);
      },
    },
    {
      method: 'POST',
      path: '/v1/users',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, createSchema);
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, body.group, 'admin');
        // An email in use refuses alike whoever's it is, audited and throttled (emailInUse.ts).
        const checkedAt = d.clock.now();
        const taken = await d.db.transaction(async (tx) => {
          await checkEmailInUseThrottle(tx, a.userId, checkedAt);
          if (!(await getUserByEmail(tx, body.email))) return false;
          await recordEmailInUse(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.create', target: body.email, groupId: group.id, detail: { role: body.role, group: group.id } }, checkedAt);
          return true;
        });
        if (taken) throw emailInUse(body.email);
        const password = body.password ?? randomBytes(15).toString('base64url');
        checkPasswordStrength(password);
        const passwordHash = await hashPassword(password);
        const now = d.clock.now();
        const id = newId('usr');
        await d.db.transaction(async (tx) => {
          await insertUser(tx, { id, email: body.email, passwordHash, totpSecretEnc: null, totpConfirmed: false, createdAt: now, ...(body.password === undefined ? { temporaryUntil: now + TEMPORARY_PASSWORD_TTL_MS } : {}) });
          await grantRole(tx, id, group.id, body.role);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.create', target: body.email, result: 'ok', groupId: group.id, detail: { role: body.role, group: group.id } }, now);
        });
        ctx.status = 201;
        ctx.body = { id, email: body.email, ...(body.password === undefined ? { temporaryPassword: password, temporaryPasswordExpiresAt: new Date(now + TEMPORARY_PASSWORD_TTL_MS).toISOString() } : {}), role: body.role, group: group.id };
      },
    },
    {
      method: 'GET',
      path: '/v1/users/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const user = await userParam(d, a, ctx);
        ctx.body = (await view(a, [user]))[0];
      },
    },
    { method: 'POST', path: '/v1/users/:id/disable', permission: 'admin', handler: setDisabled(true) },
    { method: 'POST', path: '/v1/users/:id/enable', permission: 'admin', handler: setDisabled(false) },
    {
      method: 'POST',
      path: '/v1/users/:id/grants',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, grantSchema);
        const a = await accessOf(d.db, ctx);
        // Only to users it manages (every role of theirs inside its groups; a user with no
        // role belongs to root admins), never to another customer's.
        const user = await userParam(d, a, ctx);
        notSelf(a, user, 'change the roles of');
        const group = await groupParam(d.db, a, body.group, 'admin');
        const mine = roleOn(a.access, a.tree, group.id);
        if (!mine || !roleAtLeast(mine, body.role)) throw new BurrowError('FORBIDDEN', 'You cannot grant a role above your own.');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await grantRole(tx, user.id, group.id, body.role);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.grant', target: user.email, result: 'ok', groupId: group.id, detail: { role: body.role, group: group.id } }, now);
        });
        // A grant may replace a stronger role on the group: what relied on it ends.
        d.authority.changed({ userId: user.id, reason: 'grant-removed' });
        ctx.body = (await view(a, [user]))[0];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/users/:id/grants/:group',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const key = ctx.params.id as string;
        const group = await groupParam(d.db, a, ctx.params.group as string, 'admin');
        // A role on the caller's own group may go even from a user who also holds roles
        // elsewhere; "no such user" and "no role here" answer alike.
        const user = (await getUser(d.db, key)) ?? (await getUserByEmail(d.db, key));
        const missing = new BurrowError('NOT_FOUND', `No user ${key} with a role on ${group.name}.`);
        if (!user) throw missing;
        notSelf(a, user, 'change the roles of');
        const now = d.clock.now();
        const removed = await d.db.transaction(async (tx) => {
          if (!(await revokeRole(tx, user.id, group.id))) return false;
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.revoke-grant', target: user.email, result: 'ok', groupId: group.id, detail: { group: group.id } }, now);
          return true;
        });
        if (!removed) throw missing;
        d.authority.changed({ userId: user.id, reason: 'grant-removed' });
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/users/:id/unlock',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const user = await userParam(d, a, ctx);
        const now = d.clock.now();
        // Forgets the account's failed sign-ins from every address: the way out of a lock an
        // attacker keeps renewing from fresh addresses.
        await d.db.transaction(async (tx) => {
          await unlockSignIn(tx, user.email);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.unlock', target: user.email, result: 'ok' }, now);
        });
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/users/:id/reset-totp',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const user = await userParam(d, a, ctx);
        notSelf(a, user, 'reset the authenticator of');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await setTotpSecret(tx, user.id, null);
          await endUserSignIns(tx, user.id, now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'user.reset-totp', target: user.email, result: 'ok' }, now);
        });
        d.authority.changed({ userId: user.id, reason: 'totp-reset' });
        await d.sessions.closeForUser(user.id, 'totp-reset');
        ctx.status = 204;
      },
    },
  ];
}
