import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import { NodeTraffic, readTrafficFile, trafficPath } from './nodeTraffic.js';

class FakeSocket extends EventEmitter {
  bytesRead = 0;
  bytesWritten = 0;
}
const log = createLogger({ level: 'silent' });
const FLUSH_MS = 60_000;
/** 2026-11-30 23:58:00 UTC. */
const T = Date.UTC(2026, 10, 30, 23, 58);

describe('NodeTraffic', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'burrow-traffic-'));
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('writes its count at the flush interval, at stop, and picks it up again after a restart', async () => {
    const clock = new FakeClock(T);
    const t = await NodeTraffic.open({ home, clock, log, flushMs: FLUSH_MS });
    const s = new FakeSocket();
    t.attach(s);
    s.bytesRead = 4_000;
    s.bytesWritten = 1_000;
    assert.equal(await readTrafficFile(home), undefined, 'nothing written before the interval');
    clock.advance(FLUSH_MS);
    await t.flush();
    assert.deepEqual(pick(await readTrafficFile(home)), { month: '2026-11', bytesIn: 4_000, bytesOut: 1_000 });
    s.bytesRead = 5_000;
    await t.close();
    assert.deepEqual(pick(await readTrafficFile(home)), { month: '2026-11', bytesIn: 5_000, bytesOut: 1_000 });

    // The agent restarts: a new socket's bytes add to the saved count.
    const again = await NodeTraffic.open({ home, clock, log, flushMs: FLUSH_MS });
    const s2 = new FakeSocket();
    again.attach(s2);
    s2.bytesWritten = 10;
    s2.emit('close');
    assert.deepEqual(again.current(), { month: '2026-11', bytesIn: 5_000, bytesOut: 1_010 });
    await again.close();
    assert.deepEqual(pick(await readTrafficFile(home)), { month: '2026-11', bytesIn: 5_000, bytesOut: 1_010 });
  });

  it('starts from zero in a new month (UTC), and keeps the budget the server told', async () => {
    const clock = new FakeClock(T);
    const t = await NodeTraffic.open({ home, clock, log, flushMs: FLUSH_MS });
    t.setBudget({ month: '2026-11', limitBytes: 10_000, usedBytes: 6_100, level: 'ok', over: 'refuse', overridden: false });
    await t.flush();
    assert.equal((await readTrafficFile(home))?.budget?.limitBytes, 10_000);
    clock.advance(3 * 60_000);
    const s = new FakeSocket();
    t.attach(s);
    s.bytesRead = 7;
    assert.deepEqual(t.current(), { month: '2026-12', bytesIn: 7, bytesOut: 0 });
    await t.close();
    const saved = await readTrafficFile(home);
    assert.deepEqual(pick(saved), { month: '2026-12', bytesIn: 7, bytesOut: 0 });
    assert.equal(saved?.budget, null);
  });

  it('starts over from a broken file instead of failing the agent', async () => {
    await writeFile(trafficPath(home), '{ not json');
    const t = await NodeTraffic.open({ home, clock: new FakeClock(T), log, flushMs: FLUSH_MS });
    assert.deepEqual(t.current(), { month: '2026-11', bytesIn: 0, bytesOut: 0 });
    await t.close();
    assert.match(await readFile(trafficPath(home), 'utf8'), /\{ not json/);
  });
});

function pick(f: { month: string; bytesIn: number; bytesOut: number } | undefined) {
  return f && { month: f.month, bytesIn: f.bytesIn, bytesOut: f.bytesOut };
}
