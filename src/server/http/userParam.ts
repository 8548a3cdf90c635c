import { BurrowError } from '../../shared/errors.js';
import { getUser, getUserByEmail, type UserRecord } from '../store/userStore.js';
import { requireManagesUser, type RequestAccess } from './accessOf.js';
import type { ApiContext } from './apiContext.js';
import type { ApiDeps } from './apiDeps.js';

/**
 * The user named in the path (id or email), if the caller manages it. "No such user" and
 * "another customer's user" get the same answer, so emails cannot be probed across tenants;
 * a deleted account is no user any more.
 */
export async function userParam(d: ApiDeps, a: RequestAccess, ctx: ApiContext): Promise<UserRecord> {
  const key = ctx.params.id as string;
  const user = (await getUser(d.db, key)) ?? (await getUserByEmail(d.db, key));
  if (!user || user.deletedAt !== null) throw new BurrowError('NOT_FOUND', `No user ${key}.`);
  await requireManagesUser(d.db, a, user.id, key);
  return user;
}

/**
 * Refuses an action on the caller's own account. It is also what keeps the last
 * administrator: only an administrator of every group a user holds a role on may act on
 * that user, and never on themselves, so one always remains above each group.
 */
export function notSelf(a: RequestAccess, user: UserRecord, what: string): void {
  if (a.userId === user.id) throw new BurrowError('FORBIDDEN', `You cannot ${what} your own account; ask another administrator.`);
}
