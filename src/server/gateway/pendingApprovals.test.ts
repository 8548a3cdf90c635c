import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { PendingApprovals } from './pendingApprovals.js';

describe('PendingApprovals', () => {
  it('wakes a waiting node when it is approved, and only that node', async () => {
    const clock = new FakeClock(0);
    const approvals = new PendingApprovals(clock);
    const a = approvals.wait('n1', 10_000);
    const b = approvals.wait('n2', 10_000);
    approvals.approve('n1');
    assert.equal(await a.approved, true);
    clock.advance(10_000);
    assert.equal(await b.approved, false, 'n2 was not approved: its wait ran out');
  });

  it('ends a cancelled wait, and an approval after the wait changes nothing', async () => {
    const clock = new FakeClock(0);
    const approvals = new PendingApprovals(clock);
    const a = approvals.wait('n1', 10_000);
    a.cancel();
    assert.equal(await a.approved, false);
    approvals.approve('n1');
    assert.equal(await a.approved, false);
  });
});
