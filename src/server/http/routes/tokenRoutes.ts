import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { parseDuration } from '../../../shared/duration.js';
import { newId, newSecretToken, sha256Hex } from '../../../shared/secrets.js';
import { appendAudit } from '../../store/auditStore.js';
import { getApiToken, insertApiToken, listApiTokens, rehashApiToken, revokeApiToken, type ApiTokenRecord } from '../../store/apiTokenStore.js';
import { getUser } from '../../store/userStore.js';
import { readJson } from '../body.js';
import { accessOf, groupParam, requireManagesUser, type RequestAccess } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type RouteDef } from '../apiContext.js';

const MAX_TTL_MS = 366 * 86_400_000;
const createSchema = z.object({
  name: z.string().trim().min(1).max(64),
  scope: z.enum(['read', 'operate', 'admin']),
  ttl: z.string().default('90d'),
  group: z.string().min(1).max(100).optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const view = (t: ApiTokenRecord) => ({
  id: t.id,
  userId: t.userId,
  name: t.name,
  scope: t.scope,
  group: t.groupId,
  createdAt: iso(t.createdAt),
  expiresAt: iso(t.expiresAt),
  lastUsedAt: iso(t.lastUsedAt),
  revokedAt: iso(t.revokedAt),
});

/** A token the caller owns, or one of a user the caller administers. */
async function tokenParam(d: ApiDeps, a: RequestAccess, ctx: ApiContext): Promise<ApiTokenRecord> {
  const t = await getApiToken(d.db, ctx.params.id as string);
  if (!t || t.kind !== 'api') throw new BurrowError('NOT_FOUND', `No API token ${ctx.params.id as string}.`);
  if (t.userId !== a.userId) await requireManagesUser(d.db, a, t.userId);
  return t;
}

const scopeRank: Record<ApiTokenRecord['scope'], number> = { read: 1, operate: 2, admin: 3 };

/**
 * Tokens never widen: an API token may create or reissue only a token that its own scope
 * and group limit cover, or a read token could mint an admin one. A console session or a
 * CLI login (password and TOTP) holds the user's full authority and may make any token.
 */
function requireCovers(ctx: ApiContext, a: RequestAccess, scope: ApiTokenRecord['scope'], groupId: string | null): void {
  const p = principalOf(ctx);
  if (p.interactive) return;
  if (scopeRank[scope] > scopeRank[p.access.scope]) {
    throw new BurrowError('FORBIDDEN', `An API token of scope ${p.access.scope} cannot make a token of scope ${scope}; sign in with your password and authenticator.`);
  }
  const limit = p.access.limitGroupId;
  if (limit !== null && (groupId === null || !a.tree.isWithin(groupId, limit))) {
    throw new BurrowError('FORBIDDEN', 'An API token limited to a group can make only tokens limited to that group or below.');
  }
}

/** API tokens for automation: scoped, expiring, shown once, stored hashed. */
export function tokenRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/tokens',
      permission: 'authenticated',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const user = typeof ctx.query.user === 'string' ? ctx.query.user : a.userId;
        if (user !== a.userId) await requireManagesUser(d.db, a, user);
        ctx.body = (await listApiTokens(d.db, [user])).map(view);
      },
    },
    {
      method: 'POST',
      path: '/v1/tokens',
      permission: 'authenticated',
      handler: async (ctx) => {
        const body = await readJson(ctx, createSchema);
        const a = await accessOf(d.db, ctx);
        const user = await getUser(d.db, a.userId);
        if (!user?.totpConfirmed) throw new BurrowError('TOTP_REQUIRED', 'Enroll an authenticator before creating API tokens.');
        const ttlMs = parseDuration(body.ttl);
        if (ttlMs <= 0 || ttlMs > MAX_TTL_MS) throw new BurrowError('VALIDATION', 'An API token lives at most one year.');
        const groupId = body.group ? (await groupParam(d.db, a, body.group, 'viewer')).id : null;
        requireCovers(ctx, a, body.scope, groupId);
        const secret = newSecretToken('bra');
        const now = d.clock.now();
        const record = { id: newId('tok'), userId: user.id, name: body.name, scope: body.scope, kind: 'api' as const, createdAt: now, expiresAt: now + ttlMs, groupId };
        await d.db.transaction(async (tx) => {
          await insertApiToken(tx, { ...record, tokenHash: sha256Hex(secret) });
          await appendAudit(tx, { actor: user.id, sourceIp: ctx.state.clientIp, action: 'token.create', target: record.id, result: 'ok', detail: { name: body.name, scope: body.scope, group: groupId } }, now);
        });
        ctx.status = 201;
        ctx.body = { ...view({ ...record, lastUsedAt: null, revokedAt: null }), token: secret };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/tokens/:id',
      permission: 'authenticated',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const t = await tokenParam(d, a, ctx);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await revokeApiToken(tx, t.id, now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'token.revoke', target: t.id, result: 'ok' }, now);
        });
        d.authority.changed({ userId: t.userId, reason: 'token-revoked' });
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/tokens/:id/reissue',
      permission: 'authenticated',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const t = await tokenParam(d, a, ctx);
        requireCovers(ctx, a, t.scope, t.groupId);
        if (t.revokedAt !== null || t.expiresAt <= d.clock.now()) throw new BurrowError('CONFLICT', 'A revoked or expired token cannot be reissued; create a new one.');
        const secret = newSecretToken('bra');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await rehashApiToken(tx, t.id, sha256Hex(secret));
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'token.reissue', target: t.id, result: 'ok' }, now);
        });
        ctx.body = { ...view(t), token: secret };
      },
    },
  ];
}
