import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BurrowError } from '../../shared/errors.js';
import { checkSessionLimits } from './sessionLimits.js';
import { StateMachine } from '../../shared/stateMachine.js';
import { sessionTransitions, type SessionState } from './sessionLifecycle.js';

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
  const states: SessionState[] = ['opening', 'open', 'closing', 'closed'];
  // How a session gets to each state from 'opening', the only state it starts in.
  const pathTo: Record<SessionState, SessionState[]> = { opening: [], open: ['open'], closing: ['open', 'closing'], closed: ['closed'] };
  const allowed: Record<SessionState, SessionState[]> = { opening: ['open', 'closed'], open: ['closing'], closing: ['closed'], closed: [] };
  const at = (state: SessionState): StateMachine<SessionState> => {
    const m = new StateMachine<SessionState>('opening', sessionTransitions);
    for (const step of pathTo[state]) m.transition(step);
    assert.equal(m.state, state);
    return m;
  };

  for (const from of states) {
    for (const to of states) {
      const legal = allowed[from].includes(to);
      it(`${legal ? 'allows' : 'refuses'} ${from} -> ${to}`, () => {
        const m = at(from);
        if (legal) {
          m.transition(to);
          assert.equal(m.state, to);
        } else {
          assert.throws(() => m.transition(to), new RegExp(`illegal state transition ${from} -> ${to}`));
          assert.equal(m.state, from);
        }
      });
    }
  }
});
