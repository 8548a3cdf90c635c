import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';

/** A random source stuck at the midpoint, so next() returns the un-jittered base. */
const mid = (): number => 0.5;

describe('Backoff', () => {
  it('grows by the factor per failure', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1_000_000, factor: 3, random: mid });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 300, 900, 2700]);
    assert.equal(b.attempts, 4);
  });

  it('defaults the factor to 2', () => {
    const b = new Backoff({ initialMs: 250, maxMs: 100_000, random: mid });
    assert.deepEqual([b.next(), b.next(), b.next()], [250, 500, 1000]);
  });

  it('caps the base delay at maxMs and stays there', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, factor: 2, random: mid });
    const delays = Array.from({ length: 8 }, () => b.next());
    assert.deepEqual(delays, [100, 200, 400, 500, 500, 500, 500, 500]);
  });

  it('does not overflow to Infinity or NaN after very many failures', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, random: mid });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next();
    assert.equal(last, 60_000);
  });

  it('jitters to 0.5x at random()=0 and just under 1.5x at random()→1', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 1000, random: () => 0 });
    assert.equal(low.next(), 500);
    const high = new Backoff({ initialMs: 1000, maxMs: 1000, random: () => 0.999999 });
    assert.equal(high.next(), 1500);
    const quarter = new Backoff({ initialMs: 1000, maxMs: 1000, random: () => 0.25 });
    assert.equal(quarter.next(), 750);
  });

  it('keeps jittered delays within 0.5–1.5x of the capped base with the real random source', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 800 });
    for (let i = 0; i < 200; i++) {
      const base = Math.min(800, 100 * 2 ** i);
      const d = b.next();
      assert.ok(d >= base * 0.5 && d <= base * 1.5, `delay ${d} outside [${base * 0.5}, ${base * 1.5}] at failure ${i}`);
    }
  });

  it('applies jitter to the capped value, not above it', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 300, random: () => 0.999999 });
    for (let i = 0; i < 5; i++) b.next();
    assert.equal(b.next(), 450);
  });

  it('goes back to initialMs after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: mid });
    b.next();
    b.next();
    b.next();
    assert.equal(b.attempts, 3);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.deepEqual([b.next(), b.next()], [100, 200]);
  });

  it('rejects bad options in the constructor', () => {
    const bad = [
      { initialMs: 0, maxMs: 100 },
      { initialMs: -5, maxMs: 100 },
      { initialMs: Number.NaN, maxMs: 100 },
      { initialMs: 100, maxMs: 99 },
      { initialMs: 100, maxMs: Number.NaN },
    ];
    for (const opts of bad) {
      assert.throws(() => new Backoff(opts), RangeError, JSON.stringify(opts));
    }
  });

  it('accepts initialMs equal to maxMs', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 100, random: mid });
    assert.deepEqual([b.next(), b.next()], [100, 100]);
  });
});
