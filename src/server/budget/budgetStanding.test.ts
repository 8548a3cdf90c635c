import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { budgetStanding } from './budgetStanding.js';

const MB = 1024 * 1024;

describe('budgetStanding', () => {
  const refuse = { monthlyBytes: 10 * MB, over: 'refuse' as const, overrideUntil: null };
  const throttle = { ...refuse, over: 'throttle' as const };

  it('is ok under 80 %, a warning from 80 %, exceeded from 100 %', () => {
    assert.equal(budgetStanding(refuse, 7.9 * MB, 0).level, 'ok');
    assert.equal(budgetStanding(refuse, 8 * MB, 0).level, 'warning');
    assert.equal(budgetStanding(refuse, 8 * MB, 0).percent, 80);
    assert.equal(budgetStanding(refuse, 10 * MB - 1, 0).level, 'warning');
    assert.equal(budgetStanding(refuse, 10 * MB, 0).level, 'exceeded');
    assert.equal(budgetStanding(refuse, 25 * MB, 0).percent, 250);
  });

  it('refuses and throttles past 100 % with refuse, only throttles with throttle', () => {
    assert.deepEqual(pick(budgetStanding(refuse, 11 * MB, 0)), { refusing: true, throttled: true });
    assert.deepEqual(pick(budgetStanding(throttle, 11 * MB, 0)), { refusing: false, throttled: true });
    assert.deepEqual(pick(budgetStanding(refuse, 9 * MB, 0)), { refusing: false, throttled: false });
  });

  it('lifts both while an override is active, and only until it ends', () => {
    const overridden = { ...refuse, overrideUntil: 5_000 };
    assert.deepEqual(pick(budgetStanding(overridden, 11 * MB, 4_999)), { refusing: false, throttled: false });
    assert.equal(budgetStanding(overridden, 11 * MB, 4_999).overridden, true);
    assert.deepEqual(pick(budgetStanding(overridden, 11 * MB, 5_000)), { refusing: true, throttled: true });
  });
});

function pick(s: { refusing: boolean; throttled: boolean }) {
  return { refusing: s.refusing, throttled: s.throttled };
}
