import { BurrowError } from '../../shared/errors.js';
import { groupsWith, requireRole, roleOn, type Access, type Role } from '../auth/access.js';
import { GroupTree } from '../auth/groupTree.js';
import type { Queryable } from '../store/database.js';
import { findGroup, listGroups, ROOT_GROUP_ID, type GroupRecord } from '../store/groupStore.js';
import { listGrants } from '../store/userStore.js';
import { principalOf, type ApiContext } from './apiContext.js';

/** The caller's access and the group tree, loaded once per request. */
export interface RequestAccess {
  access: Access;
  tree: GroupTree;
  userId: string;
  /** Throws NOT_FOUND/FORBIDDEN unless the caller holds `need` on the group. */
  require(groupId: string, need: Role, what: string): void;
  /** Groups where the caller holds at least `need`. */
  groups(need: Role): string[];
  /** Whether the caller holds `admin` on the root (sees everything). */
  isRootAdmin(): boolean;
}

/** Builds the access helpers of a request. */
export async function accessOf(db: Queryable, ctx: ApiContext): Promise<RequestAccess> {
  const p = principalOf(ctx);
  const tree = new GroupTree(await listGroups(db));
  return {
    access: p.access,
    tree,
    userId: p.userId,
    require: (groupId, need, what) => requireRole(p.access, tree, groupId, need, what),
    groups: (need) => groupsWith(p.access, tree, need),
    isRootAdmin: () => roleOn(p.access, tree, ROOT_GROUP_ID) === 'admin',
  };
}

/** Resolves a group named in a request (id or unique name) that the caller may see. */
export async function groupParam(db: Queryable, a: RequestAccess, idOrName: string, need: Role): Promise<GroupRecord> {
  const g = await findGroup(db, idOrName);
  if (!g) throw new BurrowError('NOT_FOUND', `No group ${idOrName}.`);
  a.require(g.id, need, `group ${idOrName}`);
  return g;
}

/**
 * Whether the caller administers a user: holds admin on every group the user has a role
 * in. A user with no role anywhere belongs to root admins only. A user the caller cannot
 * see at all gets the same NOT_FOUND as no user (named as the caller named it, `shownAs`),
 * so other customers' accounts cannot be confirmed to exist.
 */
export async function requireManagesUser(db: Queryable, a: RequestAccess, userId: string, shownAs = userId): Promise<void> {
  const grants = await listGrants(db, userId);
  const admin = new Set(a.groups('admin'));
  const manages = grants.length > 0 ? grants.every((g) => admin.has(g.groupId)) : a.isRootAdmin();
  const seesAny = grants.some((g) => roleOn(a.access, a.tree, g.groupId) !== undefined) || a.isRootAdmin();
  if (!seesAny) throw new BurrowError('NOT_FOUND', `No user ${shownAs}.`);
  if (!manages) throw new BurrowError('FORBIDDEN', 'You can manage only users whose every role lies within groups you administer.');
}
