import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { FakeClock } from '../../shared/clock.js';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import { createLogger } from '../../shared/log.js';
import type { StatusReply } from '../../shared/protocol.js';
import type { Database } from '../store/database.js';
import { listAudit } from '../store/auditStore.js';
import { listNodeStatus } from '../store/nodeStatusStore.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';
import { serveStatusChannel } from './statusChannel.js';
import { emptyReport, fakeConnection, statusChannelStore } from './statusChannel.testkit.js';

const report = emptyReport;


describe('status channel against a hostile node', () => {
  const store = statusChannelStore('status-channel');
  let db: Database;
  before(() => {
    db = store();
  });

  it('registers one key rotation per interval and keeps status rows within the budget, however fast the node asks', async () => {
    const clock = new FakeClock(1_000_000);
    const { conn, agent } = fakeConnection('n1');
    await serveStatusChannel(conn, { db, clock, log: createLogger({ level: 'silent' }), historyLimit: 1000, holdsWork: () => Promise.resolve(false), statusBudget: new NodeWriteBudget(clock, 12), keyRotationMinIntervalMs: 3_600_000 });
    const replies: StatusReply[] = [];
    let wake = () => undefined as void;
    readJsonLines(agent, 64 * 1024, (v) => {
      replies.push(v as StatusReply);
      wake();
    });
    const publicKey = ssh2.utils.generateKeyPairSync('ed25519').public.trim();
    for (let i = 0; i < 199; i++) writeJsonLine(agent, { rotateKey: { publicKey } });
    for (let i = 0; i < 100; i++) writeJsonLine(agent, { report });
    await new Promise<void>((resolve) => {
      wake = () => (replies.length >= 299 ? resolve() : undefined);
      wake();
    });

    assert.equal(replies.filter((r) => r.keyRegistered).length, 1);
    const refused = replies.filter((r) => r.keyRefused);
    assert.equal(refused.length, 198);
    assert.match(refused[0]?.keyRefused ?? '', /rotated its key less than 1h ago; one rotation per 1h is allowed/);
    assert.equal((await listAudit(db, { action: 'node.key.register' })).length, 1, 'one audit row, not 199');
    assert.equal((await listNodeStatus(db, 'n1', 1000)).length, 12, 'a burst of 12 status rows, the rest answered but not kept');

    // Past the interval, the node may rotate again.
    clock.advance(3_600_000);
    const next = ssh2.utils.generateKeyPairSync('ed25519').public.trim();
    writeJsonLine(agent, { rotateKey: { publicKey: next } });
    await new Promise<void>((resolve) => {
      wake = () => (replies.length >= 300 ? resolve() : undefined);
    });
    assert.equal(replies.at(-1)?.keyRegistered, next);
    conn.emit('close');
  });
});
