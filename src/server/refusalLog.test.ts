import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../shared/clock.js';
import { REFUSAL_SUMMARY_MS, RefusalLog } from './refusalLog.js';
import { capturedLog } from './testing/capturedLog.js';

const setup = () => {
  const { log, lines } = capturedLog('warn');
  const clock = new FakeClock();
  return { lines, clock, log: new RefusalLog(log, clock, 'connection refused: per-address cap reached') };
};
const flush = () => new Promise((r) => setImmediate(r));

describe('RefusalLog', () => {
  it('logs the first refusal from an address at once and the rest as one line per interval', async () => {
    const s = setup();
    for (let i = 0; i < 500; i++) s.log.refused('10.0.0.1', 256);
    s.log.refused('10.0.0.2', 256);
    await flush();
    assert.deepEqual(s.lines.map((l) => [l.ip, l.refused]), [['10.0.0.1', undefined], ['10.0.0.2', undefined]]);
    s.clock.advance(REFUSAL_SUMMARY_MS);
    await flush();
    assert.equal(s.lines.length, 3, 'no summary for an address refused once');
    assert.deepEqual([s.lines[2]?.ip, s.lines[2]?.refused, s.lines[2]?.msg], ['10.0.0.1', 499, 'connection refused: per-address cap reached (499 more times in 10 s)']);
  });

  it('starts over after a quiet interval and leaves no timer behind when closed', async () => {
    const s = setup();
    s.log.refused('10.0.0.1', 1);
    s.clock.advance(REFUSAL_SUMMARY_MS);
    s.log.refused('10.0.0.1', 1);
    s.log.refused('10.0.0.1', 1);
    s.log.close();
    assert.equal(s.clock.pending, 0);
    await flush();
    assert.equal(s.lines.length, 2);
  });
});
