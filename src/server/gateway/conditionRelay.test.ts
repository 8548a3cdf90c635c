import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../shared/clock.js';
import { logConditionSchema, type ConditionState } from '../../shared/conditions.js';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import { createLogger } from '../../shared/log.js';
import type { NodeStatusReport, StatusReply } from '../../shared/protocol.js';
import { listConditionHistory, listConditionStates, putNodeConditionRule } from '../store/conditionStore.js';
import { Database } from '../store/database.js';
import { insertGroup } from '../store/groupStore.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { insertNode } from '../store/nodeStore.js';
import { CONDITION_WRITES_PER_MINUTE } from './conditionRelay.js';
import type { NodeConnection } from './nodeConnection.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';
import { serveStatusChannel } from './statusChannel.js';

const report: NodeStatusReport = { uptimeSeconds: 1, load: [0, 0, 0], memory: { totalBytes: 1, freeBytes: 1 }, disk: null, agentVersion: '0.1.0', services: {}, mode: 'always-on', nextCheckInAt: null };
const state = (s: ConditionState['state'], since: number): ConditionState => ({ name: 'errors', origin: 'operator', kind: 'log', state: s, value: 1, since: new Date(since).toISOString(), detail: 'x' });

/** A node connection whose status channel is an in-process pipe; `agent` is the node's end. */
function fakeConnection(nodeId: string): { conn: NodeConnection; agent: Duplex } {
  const ends: Duplex[] = [];
  const end = (other: () => Duplex) => new Duplex({ read: () => undefined, write: (chunk: Buffer, _enc, done) => (other().push(chunk), done()) });
  ends.push(end(() => ends[1] as Duplex), end(() => ends[0] as Duplex));
  const [serverEnd, agent] = ends as [Duplex, Duplex];
  const conn = Object.assign(new EventEmitter(), { nodeId, remoteIp: '192.0.2.7', openStatusChannel: () => Promise.resolve(serverEnd) });
  return { conn: conn as unknown as NodeConnection, agent };
}

describe('conditions on the status channel', () => {
  let root = '';
  let db: Database;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'burrow-condition-relay-'));
    db = await Database.open(join(root, 'db.sqlite'));
    await migrate(db, await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url))));
    await insertGroup(db, { id: 'g1', name: 'root', parentId: null }, 0);
    await insertNode(db, { id: 'n1', name: 'n1', groupId: 'g1', publicKey: 'ssh-ed25519 AAAA', status: 'approved', services: [], agentVersion: null, createdAt: 0, enrolledBy: null as unknown as string });
  });
  after(async () => {
    await db.close();
    await rm(root, { recursive: true, force: true });
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
