import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../store/database.js';
import { instrumentStore } from './instrumentStore.js';
import type { StoreOp } from './serverMetrics.js';

describe('instrumentStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-instr-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('times every statement and transaction, and leaves the store working as before', async () => {
    const seen: [StoreOp, number][] = [];
    let t = 0;
    // Each reading of the time moves it 5 ms: every operation takes 5 ms.
    const now = () => (t += 5);
    const raw = await Database.open(join(dir, 'a.db'));
    const db = instrumentStore(raw, (op, seconds) => seen.push([op, seconds]), now);
    await db.exec('CREATE TABLE t (v INTEGER)');
    await db.run('INSERT INTO t (v) VALUES (?)', [1]);
    const inTx = await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (?)', [2]);
      return tx.all<{ v: number }>('SELECT v FROM t ORDER BY v');
    });
    assert.deepEqual(inTx.map((r) => r.v), [1, 2]);
    assert.deepEqual(await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'), { n: 2 });
    db.sealAuditWith(Buffer.alloc(32, 1));
    assert.deepEqual(raw.auditMacKey, Buffer.alloc(32, 1), 'other methods reach the store itself');
    assert.deepEqual(seen.map(([op]) => op), ['exec', 'run', 'run', 'all', 'transaction', 'get']);
    assert.ok(seen.every(([, s]) => s === 0.005 || s > 0), 'durations in seconds');
    assert.equal(seen[0]?.[1], 0.005);
    await assert.rejects(db.get('SELECT nope FROM t'));
    assert.equal(seen.at(-1)?.[0], 'get', 'a failing statement is timed too');
    await db.close();
  });
});
