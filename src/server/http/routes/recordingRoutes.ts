import { readFile } from 'node:fs/promises';
import { BurrowError } from '../../../shared/errors.js';
import { castPath } from '../../shell/castRecorder.js';
import { getRecording } from '../../store/recordingStore.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

/** Terminal transcripts, for replay from their audit entries. */
export function recordingRoutes(d: ApiDeps): RouteDef[] {
  return [
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
