import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../store/database.js';
import { loadMigrations, migrate, type Migration } from '../store/migrate.js';
import { appendAudit, auditHead, chainEntryOf, type AuditRow } from '../store/auditStore.js';
import { entryHash } from './auditChain.js';
import { signCheckpoint, type Checkpoint } from './auditCheckpoint.js';
import { verifyChain, type AuditVerdict } from './auditVerify.js';

const macKey = randomBytes(32);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
let root = '';
let migrations: Migration[] = [];
let n = 0;
let db: Database;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'burrow-verify-'));
  migrations = await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url)));
});
after(() => rm(root, { recursive: true, force: true }));
beforeEach(async () => {
  db = await Database.open(join(root, `v${++n}.sqlite`));
  await migrate(db, migrations);
  await db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
});
afterEach(() => db.close());

async function append(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await appendAudit(db, { actor: 'system', action: 'test.entry', target: `nd_${i}`, result: 'ok', detail: { i } }, 1_700_000_000_000 + i);
}

async function checkpoint(): Promise<Checkpoint> {
  return signCheckpoint(privateKey, { ...(await auditHead(db)), at: 1_700_000_100_000 });
}

async function verify(checkpoints: Checkpoint[], withMac = true): Promise<AuditVerdict> {
  const rows = await db.all<AuditRow>('SELECT * FROM audit_log ORDER BY seq');
  return verifyChain({ entries: rows.map(chainEntryOf), checkpoints, publicKey, ...(withMac ? { macKey } : {}), fromGenesis: true });
}

/** Rewrites entry `seq` and recomputes every later hash, keeping the format of each, as an insider without the MAC key can. */
async function rewriteAndRecompute(seq: number, stripMacs = false): Promise<void> {
  const rows = await db.all<AuditRow>('SELECT * FROM audit_log ORDER BY seq');
  let prev = '0'.repeat(64);
  for (const r of rows) {
    if (r.seq >= seq || stripMacs) {
      const detail = r.seq === seq ? '{"forged":true}' : r.detail;
      const hash = entryHash(prev, { ...chainEntryOf(r), detail }, !stripMacs && r.mac !== null);
      await db.run('UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ?, mac = ? WHERE seq = ?', [detail, prev, hash, stripMacs ? null : r.mac, r.seq]);
      prev = hash;
    } else prev = r.hash;
  }
}

describe('audit verification', () => {
  it('accepts entries from before sealing followed by sealed ones, and says where sealing started', async () => {
    await append(3);
    db.sealAuditWith(macKey);
    await append(3);
    const v = await verify([await checkpoint()]);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.sealedFrom, 4);
    assert.equal(v.entries, 6);
    assert.deepEqual(v.lastCheckpoint?.seq, 6);
  });

  it('names a rewritten entry whose later hashes were recomputed: its MAC no longer fits', async () => {
    db.sealAuditWith(macKey);
    await append(6);
    await rewriteAndRecompute(3);
    const v = await verify([]);
    assert.ok(!v.ok);
    assert.equal(v.finding, 'recomputed');
    assert.equal(v.badSeq, 3);
  });

  it('names a chain recomputed with every MAC stripped, from where the signed checkpoint says sealing started', async () => {
    await append(2);
    db.sealAuditWith(macKey);
    await append(4);
    const c = await checkpoint();
    await rewriteAndRecompute(4, true);
    const v = await verify([c]);
    assert.ok(!v.ok);
    assert.equal(v.finding, 'recomputed');
    assert.equal(v.badSeq, 3);
  });

  it('names the newest entries deleted after a checkpoint as truncation', async () => {
    db.sealAuditWith(macKey);
    await append(6);
    const c = await checkpoint();
    await db.run('DELETE FROM audit_log WHERE seq >= 5');
    const v = await verify([c]);
    assert.ok(!v.ok);
    assert.equal(v.finding, 'truncated');
    assert.equal(v.badSeq, 5);
    assert.match(v.reason, /entries 5-6 were deleted/);
  });

  it('still names truncation after the server wrote new entries in the deleted ones\' place', async () => {
    db.sealAuditWith(macKey);
    await append(6);
    const c = await checkpoint();
    await db.run('DELETE FROM audit_log WHERE seq >= 5');
    await append(3);
    const v = await verify([c]);
    assert.ok(!v.ok);
    assert.equal(v.finding, 'truncated');
    assert.equal(v.badSeq, 6);
  });

  it('without the MAC key (offline), names a recomputed chain by the checkpoint it no longer matches', async () => {
    db.sealAuditWith(macKey);
    await append(6);
    const c = await checkpoint();
    await rewriteAndRecompute(2);
    const v = await verify([c], false);
    assert.ok(!v.ok);
    assert.equal(v.finding, 'recomputed');
    assert.equal(v.badSeq, 6);
  });

  it('refuses a checkpoint whose signature does not fit', async () => {
    db.sealAuditWith(macKey);
    await append(2);
    const c = await checkpoint();
    const v = await verify([{ ...c, seq: 9 }]);
    assert.ok(!v.ok);
    assert.equal(v.finding, 'bad-checkpoint');
  });
});
