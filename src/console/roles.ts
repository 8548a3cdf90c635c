import type { WhoAmI } from './types.js';

const rank = { viewer: 1, operator: 2, admin: 3 } as const;

/** Whether the signed-in user holds at least `role` on some group (pages and buttons follow it). */
export function hasRole(me: WhoAmI, role: keyof typeof rank): boolean {
  return me.grants.some((g) => rank[g.role] >= rank[role]);
}
