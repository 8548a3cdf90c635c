import { BurrowError } from '../../shared/errors.js';
import { constantTimeEqual, sha256Hex } from '../../shared/secrets.js';
import type { Clock } from '../../shared/clock.js';
import type { Database } from '../store/database.js';
import { getApiTokenByHash, touchApiToken, type TokenScope } from '../store/apiTokenStore.js';
import { getUser, listGrants } from '../store/userStore.js';
import type { Permission, Principal } from './apiContext.js';

const rank = { read: 1, operate: 2, admin: 3 } as const;
const roleRank = { viewer: 1, operator: 2, admin: 3 } as const;

/** CLI tokens live this long after their last use. */
export const CLI_TOKEN_TTL_MS = 24 * 3_600_000;

/** Resolves a bearer token to its principal, or fails with UNAUTHENTICATED. */
export async function authenticateBearer(db: Database, clock: Clock, header: string | undefined): Promise<Principal> {
  const m = /^Bearer ([\w-]{10,200})$/.exec(header ?? '');
  if (!m) throw new BurrowError('UNAUTHENTICATED', 'Sign in first: send an API token as "Authorization: Bearer <token>".');
  const secret = m[1] as string;
  const hash = sha256Hex(secret);
  const token = await getApiTokenByHash(db, hash);
  const now = clock.now();
  // The lookup is by hash, so the compare below is belt and braces against index quirks.
  if (!token || !constantTimeEqual(hash, sha256Hex(secret)) || token.revokedAt !== null || token.expiresAt <= now) {
    throw new BurrowError('UNAUTHENTICATED', 'The API token is unknown, expired or revoked; sign in again.');
  }
  const user = await getUser(db, token.userId);
  if (!user || user.disabled) throw new BurrowError('UNAUTHENTICATED', 'The account of this token is disabled.');
  await touchApiToken(db, token.id, now, token.kind === 'cli' ? now + CLI_TOKEN_TTL_MS : undefined);
  return { userId: user.id, email: user.email, tokenId: token.id, scope: token.scope, grants: await listGrants(db, user.id) };
}

/** Throws FORBIDDEN unless both the token's scope and the user's best role reach `need`. */
export function requirePermission(p: Principal, need: Exclude<Permission, 'public' | 'authenticated'>): void {
  const best = Math.max(0, ...p.grants.map((g) => roleRank[g.role]));
  if (rank[p.scope as TokenScope] < rank[need] || best < rank[need]) {
    throw new BurrowError('FORBIDDEN', `This needs the ${need} permission, which your account or token does not have.`);
  }
}
