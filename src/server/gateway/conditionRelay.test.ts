import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { logConditionSchema, type ConditionState } from '../../shared/conditions.js';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import { createLogger } from '../../shared/log.js';
import type { StatusReply } from '../../shared/protocol.js';
import { listConditionHistory, listConditionStates, putNodeConditionRule } from '../store/conditionStore.js';
import type { Database } from '../store/database.js';
import { CONDITION_WRITES_PER_MINUTE } from './conditionRelay.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';
import { serveStatusChannel } from './statusChannel.js';
import { emptyReport, fakeConnection, statusChannelStore } from './statusChannel.testkit.js';

const report = emptyReport;
const state = (s: ConditionState['state'], since: number): ConditionState => ({ name: 'errors', origin: 'operator', kind: 'log', state: s, value: 1, since: new Date(since).toISOString(), detail: 'x' });


describe('conditions on the status channel', () => {
  const store = statusChannelStore('condition-relay');
  let db: Database;
  before(() => {
    db = store();
  });

  it('stores reported states, hands the rules over once per change, and bounds a flood of changes', async () => {
    const clock = new FakeClock(1_000_000);
    const rule = logConditionSchema.parse({ kind: 'log', name: 'fatal', path: '/var/log/app.log', pattern: 'FATAL' });
    await putNodeConditionRule(db, 'n1', rule, null, 0);
    const { conn, agent } = fakeConnection('n1');
    await serveStatusChannel(conn, { db, clock, log: createLogger({ level: 'silent' }), historyLimit: 100, holdsWork: () => Promise.resolve(false), statusBudget: new NodeWriteBudget(clock, 12), keyRotationMinIntervalMs: 3_600_000 });
    const replies: StatusReply[] = [];
    let wake = () => undefined as void;
    readJsonLines(agent, 64 * 1024, (v) => {
      replies.push(v as StatusReply);
      wake();
    });
    const answered = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => (replies.length >= n ? resolve() : undefined);
        wake();
      });

    writeJsonLine(agent, { report: { ...report, conditions: [state('ok', 1)] } });
    writeJsonLine(agent, { conditions: [state('firing', 2)] });
    await answered(2);
    assert.deepEqual(replies[0]?.conditionRules, [rule], 'the first reply carries the rules');
    assert.equal(replies[1]?.conditionRules, undefined, 'and only the first');
    assert.deepEqual((await listConditionStates(db, 'n1')).map((s) => s.state), ['firing']);

    // An administrator adds a rule: it goes out unasked.
    const second = logConditionSchema.parse({ kind: 'log', name: 'oops', path: '/var/log/app.log', pattern: 'OOPS' });
    await putNodeConditionRule(db, 'n1', second, null, 0);
    conn.emit('conditions-changed');
    await answered(3);
    assert.deepEqual(replies[2]?.conditionRules?.length, 2);

    // A node flapping as fast as it can write is answered, but writes only within its budget.
    const before = (await listConditionHistory(db, 'n1', 1000)).length;
    for (let i = 0; i < 200; i++) writeJsonLine(agent, { conditions: [state(i % 2 ? 'ok' : 'firing', 10 + i)] });
    await answered(203);
    const written = (await listConditionHistory(db, 'n1', 1000)).length - before;
    assert.ok(written <= CONDITION_WRITES_PER_MINUTE, `${written} changes written`);
  });
});
