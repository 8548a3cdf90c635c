import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FakeClock } from '../shared/clock.js';
import { silentLogger } from '../shared/log.js';
import { limitMallocArenas, loadHeapTrim } from './heapTrim.js';
import { IDLE_TRIM_MS, IdleHeapTrim } from './idleHeapTrim.js';

const setup = () => {
  const clock = new FakeClock();
  let trims = 0;
  const idle = new IdleHeapTrim(clock, () => {
    trims += 1;
    return true;
  }, silentLogger());
  return { clock, idle, trims: () => trims };
};

describe('IdleHeapTrim', () => {
  it('trims once traffic has stopped for a whole idle period, not while it flows', () => {
    const s = setup();
    for (let t = 0; t < 4 * IDLE_TRIM_MS; t += 1000) {
      s.idle.touch();
      s.clock.advance(1000);
    }
    assert.equal(s.trims(), 0, 'traffic every second');
    s.clock.advance(2 * IDLE_TRIM_MS);
    assert.equal(s.trims(), 1);
  });

  it('trims once per quiet spell and keeps no timer while nothing is relayed', () => {
    const s = setup();
    s.idle.touch();
    s.clock.advance(10 * IDLE_TRIM_MS);
    assert.equal(s.trims(), 1);
    assert.equal(s.clock.pending, 0);
    s.idle.touch();
    s.clock.advance(10 * IDLE_TRIM_MS);
    assert.equal(s.trims(), 2);
  });

  it('counts the chunks of a watched stream as traffic', async () => {
    const s = setup();
    const stream = new PassThrough();
    s.idle.watch(stream);
    assert.equal(s.clock.pending, 0);
    stream.write('chunk');
    await new Promise((r) => setImmediate(r));
    assert.equal(s.clock.pending, 1, 'a check is scheduled');
    s.clock.advance(2 * IDLE_TRIM_MS);
    assert.equal(s.trims(), 1);
  });

  it('forgets a pending trim when cancelled', () => {
    const s = setup();
    s.idle.touch();
    s.idle.cancel();
    s.clock.advance(10 * IDLE_TRIM_MS);
    assert.equal(s.trims(), 0);
  });
});

describe('loadHeapTrim', () => {
  it('loads the native addon built by make build and runs malloc_trim', () => {
    const trim = loadHeapTrim();
    // Free a few MiB of C heap first so there is something to hand back.
    for (let i = 0; i < 64; i++) Buffer.alloc(64 * 1024).fill(i);
    assert.equal(typeof trim(), 'boolean');
  });
});

describe('limitMallocArenas', () => {
  it("sets glibc's arena limit through the native addon, and refuses a count below 1", () => {
    assert.equal(limitMallocArenas(1), true);
    assert.throws(() => limitMallocArenas(0), /at least 1/);
  });
});
