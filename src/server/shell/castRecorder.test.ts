import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { CastRecorder, castPath } from './castRecorder.js';

describe('CastRecorder', () => {
  it('writes an asciinema v2 file, 0600, with timed output and resizes, never splitting a character', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-cast-'));
    try {
      const clock = new FakeClock(1_700_000_000_000);
      const rec = await CastRecorder.open(dir, 'rec_1', { cols: 80, rows: 24, title: 'n1', clock });
      const euro = Buffer.from('€');
      clock.advance(500);
      rec.output(Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
      clock.advance(250);
      rec.output(euro.subarray(1));
      rec.resize(100, 30);
      assert.equal(await rec.close(), 1 + euro.length);
      const [header, ...events] = (await readFile(castPath(dir, 'rec_1'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);
      assert.deepEqual(header, { version: 2, width: 80, height: 24, timestamp: 1_700_000_000, title: 'n1', env: { TERM: 'xterm-256color' } });
      assert.deepEqual(events, [[0.5, 'o', 'a'], [0.75, 'o', '€'], [0.75, 'r', '100x30']]);
      assert.equal((await stat(castPath(dir, 'rec_1'))).mode & 0o777, 0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
