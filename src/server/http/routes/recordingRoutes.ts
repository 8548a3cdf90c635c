import { readFile } from 'node:fs/promises';
import { BurrowError } from '../../../shared/errors.js';
import { castPath } from '../../shell/castRecorder.js';
import { getRecording, listRecordings } from '../../store/recordingStore.js';
import { getUserByEmail } from '../../store/userStore.js';
import { nodeParam } from './nodeRoutes.js';
import { queryNumber } from '../queryNumber.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `since` and `until` of a listing, as ISO 8601 times. */
function timeRange(query: Record<string, unknown>): { since?: number; until?: number } {
  const range: { since?: number; until?: number } = {};
  for (const key of ['since', 'until'] as const) {
    const v = str(query[key]);
    if (v === undefined) continue;
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new BurrowError('VALIDATION', `${key}: "${v}" is not a time; use ISO 8601.`);
    range[key] = t;
  }
  return range;
}

/** Terminal transcripts: listed (newest first, optionally of one node, one user or a time span), and fetched for replay. */
export function recordingRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/recordings',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const nodeName = typeof ctx.query.node === 'string' && ctx.query.node !== '' ? ctx.query.node : undefined;
        const node = nodeName === undefined ? undefined : await nodeParam(d, a, nodeName, 'admin');
        const user = str(ctx.query.user);
        // An unknown user matches no recording (an id no account has), rather than all of them.
        const userId = user === undefined ? undefined : ((await getUserByEmail(d.db, user))?.id ?? user);
        const rows = await listRecordings(d.db, {
          ...(node ? { nodeId: node.id } : {}),
          ...(userId === undefined ? {} : { userId }),
          ...timeRange(ctx.query),
          ...(a.isRootAdmin() ? {} : { groupIds: a.groups('admin') }),
          limit: queryNumber(ctx.query, 'limit', { min: 1, max: 1000 }) ?? 100,
        });
        ctx.body = rows.map((r) => ({
          id: r.id,
          nodeId: r.nodeId,
          node: r.nodeName,
          userId: r.userId,
          user: r.userEmail,
          startedAt: iso(r.startedAt),
          endedAt: iso(r.endedAt),
          bytes: r.bytes,
        }));
      },
    },
    {
      method: 'GET',
      path: '/v1/recordings/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const id = ctx.params.id as string;
        const a = await accessOf(d.db, ctx);
        const r = await getRecording(d.db, id);
        try {
          if (!r) throw new BurrowError('NOT_FOUND', `No recording ${id}.`);
          a.require(r.groupId, 'admin', `recording ${id}`);
        } catch (err) {
          // Outside the caller's groups a recording does not exist, as far as the caller can tell.
          if (err instanceof BurrowError && err.code === 'NOT_FOUND') throw new BurrowError('RECORDING_NOT_FOUND', `No recording ${id}.`);
          throw err;
        }
        const text = await readFile(castPath(d.recordingsDir, r.id), 'utf8').catch(() => {
          throw new BurrowError('RECORDING_NOT_FOUND', `The file of recording ${id} is gone.`);
        });
        ctx.type = 'application/x-asciicast';
        ctx.body = text;
      },
    },
  ];
}
