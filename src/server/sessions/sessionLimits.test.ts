import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BurrowError } from '../../shared/errors.js';
import { checkSessionLimits } from './sessionLimits.js';
import { sessionTransitions } from './sessionLifecycle.js';

const limits = { perUser: 2, perNode: 3, total: 4 };
const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof BurrowError ? `${err.code} ${err.message}` : String(err);
  }
};

describe('checkSessionLimits', () => {
  it('admits below every limit', () => {
    assert.equal(code(() => checkSessionLimits(limits, [{ userId: 'u', nodeId: 'n' }], { userId: 'u', nodeId: 'n' })), undefined);
  });

  it('names the limit reached', () => {
    const two = [{ userId: 'u', nodeId: 'a' }, { userId: 'u', nodeId: 'b' }];
    assert.match(code(() => checkSessionLimits(limits, two, { userId: 'u', nodeId: 'c' })) ?? '', /^SESSION_LIMIT .*maxSessionsPerUser/);
    const node = [{ userId: 'a', nodeId: 'n' }, { userId: 'b', nodeId: 'n' }, { userId: 'c', nodeId: 'n' }];
    assert.match(code(() => checkSessionLimits(limits, node, { userId: 'u', nodeId: 'n' })) ?? '', /maxSessionsPerNode/);
    const all = ['a', 'b', 'c', 'd'].map((x) => ({ userId: x, nodeId: x }));
    assert.match(code(() => checkSessionLimits(limits, all, { userId: 'u', nodeId: 'n' })) ?? '', /maxSessions\)/);
  });
});

describe('session lifecycle', () => {
  it('has the transition table it documents', () => {
    assert.deepEqual(sessionTransitions, { opening: ['open', 'closed'], open: ['closing'], closing: ['closed'], closed: [] });
  });
});
