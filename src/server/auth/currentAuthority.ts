import type { Clock } from '../../shared/clock.js';
import { getApiToken } from '../store/apiTokenStore.js';
import { getConsoleSession } from '../store/consoleSessionStore.js';
import type { Queryable } from '../store/database.js';
import { getUser, listGrants } from '../store/userStore.js';
import type { Access } from './access.js';
import type { AuthorityEndReason } from './authorityBus.js';

/** The credential a long-lived connection was opened with. */
export interface Credential {
  userId: string;
  via: 'token' | 'console';
  /** The token id, or the hash of the console cookie. */
  credentialId: string;
}

/** What a credential may do now, or why it may do nothing. */
export type CurrentAuthority = { ok: true; access: Access } | { ok: false; reason: AuthorityEndReason };

/**
 * Reads a credential's authority as it stands now, without touching it: a connection held
 * open is not a new use of the token, and must not renew a CLI token nor a console sign-in.
 * A console sign-in in use by a held connection does not idle out; its absolute end counts.
 */
export async function currentAuthority(db: Queryable, clock: Clock, c: Credential): Promise<CurrentAuthority> {
  const now = clock.now();
  // The account first: disabling it also ends its sign-ins, and the reason is the account.
  const user = await getUser(db, c.userId);
  if (!user || user.deletedAt !== null) return { ok: false, reason: 'user-deleted' };
  if (user.disabled) return { ok: false, reason: 'user-disabled' };
  let scope: Access['scope'] = 'admin';
  let limitGroupId: string | null = null;
  if (c.via === 'token') {
    const t = await getApiToken(db, c.credentialId);
    if (!t || t.revokedAt !== null) return { ok: false, reason: 'token-revoked' };
    if (t.expiresAt <= now) return { ok: false, reason: 'token-expired' };
    scope = t.scope;
    limitGroupId = t.groupId;
  } else {
    const s = await getConsoleSession(db, c.credentialId);
    if (!s) return { ok: false, reason: 'logout' };
    if (s.expiresAt <= now) return { ok: false, reason: 'signed-out' };
  }
  return { ok: true, access: { grants: await listGrants(db, c.userId), scope, limitGroupId } };
}
