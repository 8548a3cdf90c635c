import { readFile } from 'node:fs/promises';
import { BurrowError } from '../../../shared/errors.js';
import { castPath } from '../../shell/castRecorder.js';
import { getRecording, listRecordings } from '../../store/recordingStore.js';
import { nodeParam } from './nodeRoutes.js';
import { queryNumber } from '../queryNumber.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Terminal transcripts: listed (newest first, optionally of one node), and fetched for replay. */
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
        const rows = await listRecordings(d.db, {
          ...(node ? { nodeId: node.id } : {}),
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
