import { roleAtLeast, roleOn } from '../auth/access.js';
import type { AuthorityEndReason } from '../auth/authorityBus.js';
import type { ApiDeps } from './apiDeps.js';
import type { Principal } from './apiContext.js';

/**
 * Holds something a caller opened on a node (a terminal, a session, a queued request) for
 * as long as the credential it was opened with still gives the operator role on the
 * node's group; `end` runs when it no longer does. Returns the release function.
 */
export function holdWhileOperator(
  d: Pick<ApiDeps, 'authority'>,
  p: Principal,
  groupId: string,
  h: { end(reason: AuthorityEndReason): void; done?(): boolean | Promise<boolean>; nodeId?: string | undefined },
): () => void {
  const { end, done, nodeId } = h;
  // The node may move to another group while this runs: then the new group decides.
  let group = groupId;
  return d.authority.hold({
    credential: { userId: p.userId, via: p.via, credentialId: p.credentialId },
    allows: (access, tree) => {
      const role = roleOn(access, tree, group);
      return role !== undefined && roleAtLeast(role, 'operator');
    },
    end,
    ...(done ? { done } : {}),
    ...(nodeId !== undefined
      ? {
          nodeId,
          nodeMovedTo: (to: string) => {
            group = to;
          },
        }
      : {}),
  });
}
