import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { enrollRequestSchema } from '../../../shared/enrollProtocol.js';
import { parseDuration } from '../../../shared/duration.js';
import { createEnrollToken, enrollNode } from '../../enrollment.js';
import { ROOT_GROUP_ID } from '../../store/groupStore.js';
import { listEnrollTokens, revokeEnrollToken } from '../../store/enrollTokenStore.js';
import { listNodes } from '../../store/nodeStore.js';
import { accessOf, groupParam } from '../accessOf.js';
import { appendAudit } from '../../store/auditStore.js';
import { readJson } from '../body.js';
import { checkThrottle, ENROLL_IP_POLICY, recordFailure, type ThrottlePolicy } from '../../auth/loginThrottle.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const MAX_TOKEN_TTL_MS = 30 * 86_400_000;

const createSchema = z.object({
  uses: z.number().int().min(1).max(100_000).default(1),
  ttl: z.string().default('1h'),
  group: z.string().optional(),
  autoApprove: z.boolean().default(false),
});

/** Node enrollment and the tokens that allow it. */
export function enrollRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/enroll',
      permission: 'public',
      handler: async (ctx) => {
        // Refused up front while the address is throttled; only failures count. Unlike
        // sign-in, a token carries 192 random bits, so this guards the store and the audit
        // log against floods, and a factory enrolling many nodes at once from one address
        // (all succeeding) is never slowed down.
        const keys: [string, ThrottlePolicy][] = [[`enroll-ip:${ctx.state.clientIp}`, ENROLL_IP_POLICY]];
        await checkThrottle(d.db, keys, d.clock.now(), 'enrollments from this address');
        let enrolled;
        try {
          const body = await readJson(ctx, enrollRequestSchema);
          const tunnelUrl = new URL('/v1/tunnel', d.publicUrl).toString().replace(/^http/, 'ws');
          enrolled = await enrollNode({ db: d.db, clock: d.clock, sshHostKeyPub: d.sshHostKeyPub, tunnelUrl }, body, ctx.state.clientIp);
        } catch (err) {
          if (err instanceof BurrowError && err.status < 500) await d.db.transaction((tx) => recordFailure(tx, keys, d.clock.now()));
          throw err;
        }
        ctx.status = 201;
        ctx.body = enrolled;
      },
    },
    {
      method: 'POST',
      path: '/v1/enroll-tokens',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, createSchema);
        const ttlMs = parseDuration(body.ttl);
        if (ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) throw new BurrowError('VALIDATION', 'An enrollment token lives between 1 second and 30 days.');
        const a = await accessOf(d.db, ctx);
        const target = body.group ?? (a.isRootAdmin() ? ROOT_GROUP_ID : a.groups('admin')[0]);
        if (!target) throw new BurrowError('VALIDATION', 'Name the group the nodes join (--group).');
        const group = await groupParam(d.db, a, target, 'admin');
        const made = await createEnrollToken(d.db, d.clock, d.tlsPin, {
          groupId: group.id,
          maxUses: body.uses,
          ttlMs,
          autoApprove: body.autoApprove,
          createdBy: a.userId,
          sourceIp: ctx.state.clientIp,
        });
        ctx.status = 201;
        ctx.body = {
          id: made.id,
          token: made.token,
          expiresAt: new Date(made.expiresAt).toISOString(),
          enrollCommand: `burrow node enroll ${d.publicUrl} --token ${made.token}`,
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/enroll-tokens',
      permission: 'admin',
      handler: async (ctx) => {
        const now = d.clock.now();
        const mine = new Set((await accessOf(d.db, ctx)).groups('admin'));
        const listed = (await listEnrollTokens(d.db)).filter((t) => mine.has(t.groupId));
        // A token made by a CSV import enrolls one node only: name it, so tokens can be told apart.
        const names = listed.some((t) => t.nodeId !== null) ? new Map((await listNodes(d.db)).map((n) => [n.id, n.name])) : new Map<string, string>();
        ctx.body = listed.map((t) => ({
          id: t.id,
          group: t.groupId,
          node: t.nodeId === null ? null : (names.get(t.nodeId) ?? null),
          uses: t.uses,
          maxUses: t.maxUses,
          autoApprove: t.autoApprove,
          createdAt: new Date(t.createdAt).toISOString(),
          expiresAt: new Date(t.expiresAt).toISOString(),
          state: t.revokedAt !== null ? 'revoked' : t.expiresAt <= now ? 'expired' : t.uses >= t.maxUses ? 'used' : 'active',
        }));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/enroll-tokens/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const id = ctx.params.id as string;
        const now = d.clock.now();
        const a = await accessOf(d.db, ctx);
        const token = (await listEnrollTokens(d.db)).find((t) => t.id === id);
        if (!token) throw new BurrowError('NOT_FOUND', `No active enrollment token ${id}.`);
        a.require(token.groupId, 'admin', `enrollment token ${id}`);
        const done = await d.db.transaction(async (tx) => {
          if (!(await revokeEnrollToken(tx, id, now))) return false;
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'enroll-token.revoke', target: id, result: 'ok', groupId: token.groupId }, now);
          return true;
        });
        if (!done) throw new BurrowError('NOT_FOUND', `No active enrollment token ${id}.`);
        ctx.status = 204;
      },
    },
  ];
}
