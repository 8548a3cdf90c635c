import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { newId } from '../../../shared/secrets.js';
import { roleOn } from '../../auth/access.js';
import { appendAudit } from '../../store/auditStore.js';
import { deleteGroup, groupContents, insertGroup, ROOT_GROUP_ID, setRememberBrowserDays } from '../../store/groupStore.js';
import { readJson } from '../body.js';
import { groupRecordsShell, setGroupRecordsShell } from '../../store/recordingStore.js';
import { accessOf, groupParam } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const name = z.string().trim().min(1).max(64).regex(/^[\w .@-]+$/, 'a group name is letters, digits, spaces and . _ @ -');
const createSchema = z.object({ name, parent: z.string().min(1).max(100).default(ROOT_GROUP_ID) });
const patchSchema = z
  .object({ rememberBrowserDays: z.number().int().min(0).max(30).optional(), recordShell: z.boolean().optional() })
  .refine((b) => b.rememberBrowserDays !== undefined || b.recordShell !== undefined, 'give rememberBrowserDays or recordShell');

/** The group tree: customers at the top, sites below. */
export function groupRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/groups',
      permission: 'read',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        ctx.body = a.groups('viewer').map((id) => {
          const g = a.tree.get(id);
          return { id, name: g?.name, parent: g?.parentId ?? null, path: a.tree.path(id), role: roleOn(a.access, a.tree, id), rememberBrowserDays: g?.rememberBrowserDays ?? 0, recordShell: g?.recordShell ?? true };
        }).sort((x, y) => x.path.localeCompare(y.path));
      },
    },
    {
      method: 'POST',
      path: '/v1/groups',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, createSchema);
        const a = await accessOf(d.db, ctx);
        const parent = await groupParam(d.db, a, body.parent, 'admin');
        const id = newId('grp');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await insertGroup(tx, { id, name: body.name, parentId: parent.id }, now);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'group.create', target: id, result: 'ok', groupId: parent.id, detail: { name: body.name, parent: parent.id } }, now);
        }).catch((err: Error) => {
          if (/UNIQUE/.test(err.message)) throw new BurrowError('CONFLICT', `${parent.name} already has a group named ${body.name}.`);
          throw err;
        });
        ctx.status = 201;
        ctx.body = { id, name: body.name, parent: parent.id };
      },
    },
    {
      method: 'PATCH',
      path: '/v1/groups/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, patchSchema);
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, ctx.params.id as string, 'admin');
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          if (body.rememberBrowserDays !== undefined) await setRememberBrowserDays(tx, group.id, body.rememberBrowserDays);
          if (body.recordShell !== undefined) await setGroupRecordsShell(tx, group.id, body.recordShell);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'group.update', target: group.id, result: 'ok', groupId: group.id, detail: body }, now);
        });
        ctx.body = { ...group, ...body, recordShell: body.recordShell ?? (await groupRecordsShell(d.db, group.id)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/groups/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, ctx.params.id as string, 'admin');
        if (!group.parentId) throw new BurrowError('FORBIDDEN', 'The root group cannot be deleted.');
        a.require(group.parentId, 'admin', `the parent of group ${group.name}`);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          const c = await groupContents(tx, group.id);
          if (c.groups + c.nodes + c.grants + c.tokens > 0) {
            const held = [count(c.groups, 'subgroup'), count(c.nodes, 'node'), count(c.grants, 'role'), count(c.tokens, 'enrollment token')].filter((x) => x !== '');
            throw new BurrowError('CONFLICT', `Group ${group.name} is not empty: it holds ${held.join(', ')}; move or delete them first.`);
          }
          await deleteGroup(tx, group.id);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'group.delete', target: group.id, result: 'ok', groupId: group.parentId, detail: { name: group.name } }, now);
        });
        ctx.status = 204;
      },
    },
  ];
}

/** "1 node", "2 nodes", or '' for none. */
function count(n: number, noun: string): string {
  return n === 0 ? '' : `${n} ${noun}${n === 1 ? '' : 's'}`;
}
