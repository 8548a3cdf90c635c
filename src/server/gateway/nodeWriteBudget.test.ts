import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';

describe('NodeWriteBudget', () => {
  it('lets a burst through, drops the rest, refills over a minute and reports what it dropped', () => {
    const clock = new FakeClock(0);
    const budget = new NodeWriteBudget(clock, 3);
    assert.deepEqual([1, 2, 3].map(() => budget.take('n1').ok), [true, true, true]);
    assert.deepEqual(budget.take('n1'), { ok: false });
    assert.deepEqual(budget.take('n1'), { ok: false });
    assert.equal(budget.take('n2').ok, true, 'each node has its own budget');
    clock.advance(20_000);
    assert.deepEqual(budget.take('n1'), { ok: true, dropped: 2 });
    assert.deepEqual(budget.take('n1'), { ok: false });
  });
});
