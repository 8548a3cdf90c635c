import { before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import type { Migration } from './migrate.js';
import { appendAudit, listAudit, recordAudit, verifyAudit } from './auditStore.js';
import type { AuditEntry, AuditRow } from './auditStore.js';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describeEachStore } from './testStores.js';

const MAC_KEY = randomBytes(32);
const { publicKey } = generateKeyPairSync('ed25519');
const verify = () => verifyAudit(db, { macKey: MAC_KEY, publicKey }, []);
async function assertIntact(entries: number): Promise<void> {
  const v = await verify();
  assert.ok(v.ok, JSON.stringify(v));
  assert.equal(v.entries, entries);
}

let migrations: Migration[] = [];
let db: Database;

before(async () => {
  migrations = await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url)));
});

/** Drops one of the guard triggers, as someone with write access to the database could. */
const dropTrigger = (name: string) => db.exec(db.engine === 'postgres' ? `DROP TRIGGER ${name} ON audit_log` : `DROP TRIGGER ${name}`);

const entries: AuditEntry[] = [
  { actor: 'us_alice', sourceIp: '10.0.0.1', action: 'login', result: 'ok' },
  { actor: 'us_alice', action: 'node.approve', target: 'nd_1', result: 'ok', detail: { group: 'gr_1' } },
  { actor: 'us_bob', sourceIp: '10.0.0.2', action: 'session.open', target: 'nd_1', result: 'denied', detail: { service: 'web' } },
  { actor: 'system', action: 'session.expire', target: 'se_9', result: 'ok' },
];

async function appendAll(): Promise<void> {
  for (const [i, e] of entries.entries()) await appendAudit(db, e, 1_700_000_000_000 + i);
}

describeEachStore('audit log', (store) => {
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, migrations);
    db.sealAuditWith(MAC_KEY);
  });

  it('chains appended entries and verifies them', async () => {
    await assertIntact(0);
    await appendAll();
    await assertIntact(entries.length);

    const rows = (await listAudit(db)).reverse();
    assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4]);
    assert.equal(rows[0]?.prev_hash, '0'.repeat(64));
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i]?.prev_hash, rows[i - 1]?.hash);
    assert.equal(rows[1]?.detail, '{"group":"gr_1"}');
    assert.equal(rows[0]?.detail, '{}');
    assert.equal(rows[3]?.source_ip, null);
  });

  it('refuses UPDATE and DELETE while the triggers exist', async () => {
    await appendAll();
    await assert.rejects(db.run('UPDATE audit_log SET detail = ? WHERE seq = 2', ['{"x":1}']), /append-only/);
    await assert.rejects(db.run('DELETE FROM audit_log WHERE seq = 2'), /append-only/);
    const row = await db.get<AuditRow>('SELECT * FROM audit_log WHERE seq = 2');
    assert.equal(row?.detail, '{"group":"gr_1"}');
    assert.equal((await listAudit(db)).length, entries.length);
    await assertIntact(entries.length);
  });

  it('names exactly the row whose detail was edited behind its back', async () => {
    await appendAll();
    await dropTrigger('audit_no_update');
    await db.run('UPDATE audit_log SET detail = ? WHERE seq = 2', ['{"group":"gr_evil"}']);
    const verdict = await verify();
    assert.ok(!verdict.ok);
    assert.equal(verdict.badSeq, 2);
    assert.equal(verdict.entries, entries.length);
    assert.match(verdict.reason, /altered/);
  });

  it('detects an edit of the last row too', async () => {
    await appendAll();
    await dropTrigger('audit_no_update');
    await db.run("UPDATE audit_log SET result = 'failed' WHERE seq = 4");
    const verdict = await verify();
    assert.ok(!verdict.ok);
    assert.equal(verdict.badSeq, 4);
  });

  it('detects a replaced hash at that row', async () => {
    await appendAll();
    await dropTrigger('audit_no_update');
    await db.run('UPDATE audit_log SET hash = ? WHERE seq = 2', ['f'.repeat(64)]);
    const verdict = await verify();
    assert.ok(!verdict.ok);
    assert.equal(verdict.badSeq, 2);
  });

  it('detects a deleted middle row at its seq', async () => {
    await appendAll();
    await dropTrigger('audit_no_delete');
    await db.run('DELETE FROM audit_log WHERE seq = 3');
    const verdict = await verify();
    assert.ok(!verdict.ok);
    assert.equal(verdict.badSeq, 3);
    assert.equal(verdict.entries, entries.length - 1);
    assert.match(verdict.reason, /missing/);
  });

  it('keeps no entry when the transaction that appended it rolls back', async () => {
    await appendAll();
    await assert.rejects(
      db.transaction(async (tx) => {
        await appendAudit(tx, { actor: 'us_alice', action: 'node.delete', target: 'nd_1', result: 'ok' }, 1);
        throw new Error('action failed');
      }),
      /action failed/,
    );
    await assertIntact(entries.length);
  });

  it('keeps one linear chain when two connections (two servers) append at once', async () => {
    const other = await store.another(db);
    other.sealAuditWith(MAC_KEY);
    const burst = (conn: Database, who: string) =>
      Array.from({ length: 20 }, (_, i) => recordAudit(conn, { actor: 'system', action: 'test.concurrent', target: `${who}_${i}`, result: 'ok' }, 1_700_000_000_000 + i));
    await Promise.all([...burst(db, 'a'), ...burst(other, 'b')]);
    await assertIntact(40);
    assert.deepEqual((await listAudit(db, { limit: 100 })).map((r) => r.seq).reverse(), Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('filters and pages entries, newest first', async () => {
    await appendAll();
    assert.deepEqual((await listAudit(db, { actor: 'us_alice' })).map((r) => r.seq), [2, 1]);
    assert.deepEqual((await listAudit(db, { action: 'session.' })).map((r) => r.seq), [4, 3]);
    assert.deepEqual((await listAudit(db, { target: 'nd_1', limit: 1 })).map((r) => r.seq), [3]);
    assert.deepEqual((await listAudit(db, { beforeSeq: 3 })).map((r) => r.seq), [2, 1]);
    assert.deepEqual((await listAudit(db, { since: 1_700_000_000_001, until: 1_700_000_000_003 })).map((r) => r.seq), [3, 2]);
  });
});
