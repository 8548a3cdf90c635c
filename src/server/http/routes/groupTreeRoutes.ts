import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { appendAudit } from '../../store/auditStore.js';
import { groupNameTaken, moveGroup, renameGroup, type GroupRecord } from '../../store/groupStore.js';
import { accessOf, groupParam, type RequestAccess } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';

const groupName = z.string().trim().min(1).max(64).regex(/^[\w .@-]+$/, 'a group name is letters, digits, spaces and . _ @ -');
const renameSchema = z.object({ name: groupName });
const moveSchema = z.object({ parent: z.string().min(1).max(200) });

async function refuseNameClash(d: ApiDeps, a: RequestAccess, group: GroupRecord, parentId: string, name: string): Promise<void> {
  if (await groupNameTaken(d.db, parentId, name, group.id)) throw new BurrowError('CONFLICT', `${a.tree.path(parentId)} already has a group named ${name}.`);
}

/** Renaming a group, and moving it (with its subtree) under another parent. */
export function groupTreeRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/groups/:id/rename',
      permission: 'admin',
      handler: async (ctx) => {
        const { name } = await readJson(ctx, renameSchema);
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, ctx.params.id as string, 'admin');
        if (group.parentId) await refuseNameClash(d, a, group, group.parentId, name);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await renameGroup(tx, group.id, name);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'group.rename', target: group.id, result: 'ok', groupId: group.id, detail: { from: group.name, to: name } }, now);
        });
        ctx.body = { id: group.id, name, parent: group.parentId };
      },
    },
    {
      method: 'POST',
      path: '/v1/groups/:id/move',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, moveSchema);
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, ctx.params.id as string, 'admin');
        if (!group.parentId) throw new BurrowError('FORBIDDEN', 'The root group cannot be moved.');
        // Three ends, as for a delete: a role on a subgroup alone must not let its holder
        // pull that subgroup out of the customer above it, nor push it under a group they
        // do not administer.
        a.require(group.parentId, 'admin', `the parent of group ${group.name}`);
        const to = await groupParam(d.db, a, body.parent, 'admin');
        if (to.id === group.parentId) throw new BurrowError('VALIDATION', `Group ${a.tree.path(group.id)} is already under ${a.tree.path(to.id)}.`);
        if (a.tree.isWithin(to.id, group.id)) throw new BurrowError('VALIDATION', `Group ${a.tree.path(group.id)} cannot move under itself or one of its subgroups.`);
        await refuseNameClash(d, a, group, to.id, group.name);
        const now = d.clock.now();
        const fromPath = a.tree.path(group.id);
        await d.db.transaction(async (tx) => {
          await moveGroup(tx, group.id, to.id);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'group.move', target: group.id, result: 'ok', groupId: to.id, detail: { from: group.parentId, to: to.id, fromPath, toPath: `${a.tree.path(to.id)}/${group.name}` } }, now);
        });
        // Roles held above the old place no longer reach the subtree: whatever runs on
        // that authority (sessions, terminals, event streams) is checked again now.
        await d.authority.recheckAll();
        ctx.body = { id: group.id, name: group.name, parent: to.id };
      },
    },
  ];
}
