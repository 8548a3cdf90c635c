import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { MAX_PAUSE_MS, TunnelThrottle } from './tunnelThrottle.js';

/** A socket that reads as fast as it is let: `bytesPerTick` whenever the stream is not paused. */
function world() {
  const clock = new FakeClock(0);
  const socket = { bytesRead: 0 };
  const stream = {
    paused: false,
    pause() {
      this.paused = true;
    },
    resume() {
      this.paused = false;
    },
  };
  return { clock, socket, stream };
}

describe('TunnelThrottle', () => {
  it('holds a greedy reader to the rate over time', () => {
    const { clock, socket, stream } = world();
    const t = new TunnelThrottle(clock, socket, stream);
    t.setRate(64 * 1024);
    // The peer could send 1 MiB/s; read 10 KiB every 10 ms while not paused, for 10 s.
    for (let ms = 0; ms < 10_000; ms += 10) {
      if (!stream.paused) socket.bytesRead += 10 * 1024;
      clock.advance(10);
    }
    const perSecond = socket.bytesRead / 10;
    // One second of burst plus the rate: far below the 1 MiB/s the peer offered.
    assert.ok(perSecond < 64 * 1024 * 1.5, `read ${perSecond} bytes/s`);
    assert.ok(perSecond > 64 * 1024 * 0.7, `read ${perSecond} bytes/s`);
    t.close();
    assert.equal(stream.paused, false);
  });

  it('lets the tunnel run free again when the rate is lifted', () => {
    const { clock, socket, stream } = world();
    const t = new TunnelThrottle(clock, socket, stream);
    t.setRate(1000);
    socket.bytesRead += 100_000;
    clock.advance(200);
    assert.equal(stream.paused, true);
    t.setRate(null);
    assert.equal(stream.paused, false);
    assert.equal(t.bytesPerSecond, null);
    // No timer left behind.
    clock.advance(10_000);
    assert.equal(stream.paused, false);
  });

  it('never pauses longer than MAX_PAUSE_MS, so keepalives are still answered', () => {
    const { clock, socket, stream } = world();
    const t = new TunnelThrottle(clock, socket, stream);
    t.setRate(1000);
    // A burst of 10 MB at 1 KB/s would otherwise be a pause of hours.
    socket.bytesRead += 10_000_000;
    clock.advance(200);
    assert.equal(stream.paused, true);
    clock.advance(MAX_PAUSE_MS + 200);
    assert.equal(stream.paused, false);
    t.close();
  });

  it('does not pause a tunnel that stays under the rate', () => {
    const { clock, socket, stream } = world();
    const t = new TunnelThrottle(clock, socket, stream);
    t.setRate(10_000);
    for (let i = 0; i < 50; i++) {
      socket.bytesRead += 1_000;
      clock.advance(200);
      assert.equal(stream.paused, false);
    }
    t.close();
  });
});
