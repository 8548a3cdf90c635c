import { BurrowError } from '../../shared/errors.js';
import type { TokenScope } from '../store/apiTokenStore.js';
import type { GroupTree } from './groupTree.js';

/** A role granted on a group. */
export type Role = 'admin' | 'operator' | 'viewer';

/** One grant of a role on a group (and its subtree). */
export interface Grant {
  groupId: string;
  role: Role;
}

/** What an authenticated caller may do: the user's grants, capped by the credential. */
export interface Access {
  grants: readonly Grant[];
  /** A token's scope caps every role ('admin' for console sign-ins). */
  scope: TokenScope;
  /** A token limited to one group sees only that subtree. */
  limitGroupId: string | null;
}

const roleRank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
const scopeRank: Record<TokenScope, number> = { read: 1, operate: 2, admin: 3 };
/** The role each scope stands for. */
export const scopeRole: Record<TokenScope, Role> = { read: 'viewer', operate: 'operator', admin: 'admin' };

/** Whether role `have` includes everything role `need` may do. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return roleRank[have] >= roleRank[need];
}

/** The strongest role the caller holds on `groupId`, after the credential's caps. */
export function roleOn(a: Access, tree: GroupTree, groupId: string): Role | undefined {
  if (a.limitGroupId && !tree.isWithin(groupId, a.limitGroupId)) return undefined;
  let best: Role | undefined;
  for (const g of a.grants) {
    if (tree.isWithin(groupId, g.groupId) && (!best || roleRank[g.role] > roleRank[best])) best = g.role;
  }
  if (!best) return undefined;
  return roleRank[best] <= scopeRank[a.scope] ? best : scopeRole[a.scope];
}

/**
 * Throws unless the caller holds `need` on `groupId`. A caller with no role there at all
 * gets NOT_FOUND, so another customer's objects cannot even be confirmed to exist.
 */
export function requireRole(a: Access, tree: GroupTree, groupId: string, need: Role, what: string): void {
  const have = roleOn(a, tree, groupId);
  if (!have) throw new BurrowError('NOT_FOUND', `No ${what}.`);
  if (!roleAtLeast(have, need)) throw new BurrowError('FORBIDDEN', `This needs the ${need} role on the group of ${what}; you have ${have}.`);
}

/** The groups on which the caller holds at least `need`. */
export function groupsWith(a: Access, tree: GroupTree, need: Role): string[] {
  return tree
    .all()
    .map((g) => g.id)
    .filter((id) => {
      const r = roleOn(a, tree, id);
      return r !== undefined && roleAtLeast(r, need);
    });
}

/** Whether the caller holds at least `need` anywhere. */
export function hasRoleSomewhere(a: Access, need: Role): boolean {
  const best = Math.max(0, ...a.grants.map((g) => roleRank[g.role]));
  return Math.min(best, scopeRank[a.scope]) >= roleRank[need];
}
