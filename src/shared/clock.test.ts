import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';

describe('FakeClock', () => {
  it('starts at the given time and only moves on advance', () => {
    const c = new FakeClock(1000);
    assert.equal(c.now(), 1000);
    c.advance(250);
    assert.equal(c.now(), 1250);
  });

  it('fires due timers in deadline order, with now() at each deadline', () => {
    const c = new FakeClock();
    const fired: [string, number][] = [];
    c.setTimeout(() => fired.push(['c', c.now()]), 30);
    c.setTimeout(() => fired.push(['a', c.now()]), 10);
    c.setTimeout(() => fired.push(['b', c.now()]), 20);
    c.setTimeout(() => fired.push(['late', c.now()]), 100);
    c.advance(50);
    assert.deepEqual(fired, [['a', 10], ['b', 20], ['c', 30]]);
    assert.equal(c.now(), 50);
    assert.equal(c.pending, 1);
    c.advance(50);
    assert.deepEqual(fired.at(-1), ['late', 100]);
    assert.equal(c.pending, 0);
  });

  it('fires timers with the same deadline in the order they were set', () => {
    const c = new FakeClock();
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) c.setTimeout(() => fired.push(i), 10);
    c.advance(10);
    assert.deepEqual(fired, [0, 1, 2, 3, 4]);
  });

  it('does not fire a timer before its deadline', () => {
    const c = new FakeClock();
    let fired = 0;
    c.setTimeout(() => fired++, 100);
    c.advance(99);
    assert.equal(fired, 0);
    c.advance(1);
    assert.equal(fired, 1);
    c.advance(1000);
    assert.equal(fired, 1, 'fires once');
  });

  it('treats a negative delay as zero', () => {
    const c = new FakeClock(10);
    let at = -1;
    c.setTimeout(() => (at = c.now()), -50);
    c.advance(0);
    assert.equal(at, 10);
  });

  it('clearTimeout cancels a pending timer and leaves the others', () => {
    const c = new FakeClock();
    const fired: string[] = [];
    const a = c.setTimeout(() => fired.push('a'), 10);
    c.setTimeout(() => fired.push('b'), 20);
    c.clearTimeout(a);
    assert.equal(c.pending, 1);
    c.advance(100);
    assert.deepEqual(fired, ['b']);
  });

  it('clearTimeout from inside a firing timer cancels a later one', () => {
    const c = new FakeClock();
    const fired: string[] = [];
    const later = c.setTimeout(() => fired.push('later'), 20);
    c.setTimeout(() => {
      fired.push('first');
      c.clearTimeout(later);
    }, 10);
    c.advance(100);
    assert.deepEqual(fired, ['first']);
  });

  it('fires nested timers scheduled by a firing timer when they fall due within the advance', () => {
    const c = new FakeClock();
    const fired: [string, number][] = [];
    c.setTimeout(() => {
      fired.push(['outer', c.now()]);
      c.setTimeout(() => fired.push(['inner', c.now()]), 15);
      c.setTimeout(() => fired.push(['tooLate', c.now()]), 100);
    }, 10);
    c.setTimeout(() => fired.push(['other', c.now()]), 20);
    c.advance(50);
    assert.deepEqual(fired, [['outer', 10], ['other', 20], ['inner', 25]]);
    assert.equal(c.pending, 1);
    c.advance(60);
    assert.deepEqual(fired.at(-1), ['tooLate', 110]);
  });

  it('runs a self-rescheduling interval-like timer once per period', () => {
    const c = new FakeClock();
    const ticks: number[] = [];
    const tick = (): void => {
      ticks.push(c.now());
      c.setTimeout(tick, 10);
    };
    c.setTimeout(tick, 10);
    c.advance(45);
    assert.deepEqual(ticks, [10, 20, 30, 40]);
    assert.equal(c.now(), 45);
  });
});
