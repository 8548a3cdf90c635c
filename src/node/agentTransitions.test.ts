import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateMachine } from '../shared/stateMachine.js';
import { agentTransitions, type AgentState } from './tunnelAgent.js';

const states: AgentState[] = ['idle', 'connecting', 'connected', 'waiting', 'stopped'];

/** The moves the agent relies on, written out once more so a table edit has to be deliberate. */
const expected: Record<AgentState, AgentState[]> = {
  idle: ['connecting', 'stopped'],
  connecting: ['connected', 'waiting', 'stopped'],
  connected: ['waiting', 'stopped'],
  waiting: ['connecting', 'stopped'],
  stopped: [],
};

/** A machine placed in `from` by walking a legal path to it. */
function machineIn(from: AgentState): StateMachine<AgentState> {
  const paths: Record<AgentState, AgentState[]> = {
    idle: [],
    connecting: ['connecting'],
    connected: ['connecting', 'connected'],
    waiting: ['connecting', 'waiting'],
    stopped: ['stopped'],
  };
  const m = new StateMachine<AgentState>('idle', agentTransitions);
  for (const step of paths[from]) m.transition(step);
  assert.equal(m.state, from);
  return m;
}

describe('agent transitions', () => {
  for (const from of states) {
    for (const to of states) {
      const allowed = expected[from].includes(to);
      it(`${allowed ? 'allows' : 'refuses'} ${from} -> ${to}`, () => {
        const m = machineIn(from);
        assert.equal(m.can(to), allowed);
        if (allowed) {
          m.transition(to);
          assert.equal(m.state, to);
        } else {
          assert.throws(() => m.transition(to), new RegExp(`illegal state transition ${from} -> ${to}`));
          assert.equal(m.state, from, 'a refused move leaves the state as it was');
        }
      });
    }
  }

  it('has no way out of stopped', () => {
    assert.deepEqual(agentTransitions.stopped, []);
  });

  it('never skips connecting on the way to connected', () => {
    const into = states.filter((s) => agentTransitions[s].includes('connected'));
    assert.deepEqual(into, ['connecting']);
  });

  it('can stop from every state but stopped', () => {
    for (const s of states.filter((x) => x !== 'stopped')) assert.ok(agentTransitions[s].includes('stopped'), s);
  });

  it('reports each move to onChange with its from and to', () => {
    const seen: string[] = [];
    const m = new StateMachine<AgentState>('idle', agentTransitions, undefined, (from, to) => seen.push(`${from}->${to}`));
    for (const to of ['connecting', 'connected', 'waiting', 'connecting', 'waiting', 'stopped'] as const) m.transition(to);
    assert.deepEqual(seen, ['idle->connecting', 'connecting->connected', 'connected->waiting', 'waiting->connecting', 'connecting->waiting', 'waiting->stopped']);
  });
});
