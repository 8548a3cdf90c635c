import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { Database } from '../store/database.js';
import { loadMigrations, migrate, type Migration } from '../store/migrate.js';
import { appendAudit } from '../store/auditStore.js';
import { checkpointSignatureValid, parseCheckpointLines } from './auditCheckpoint.js';
import { AuditCheckpointer } from './auditCheckpointer.js';

const { privateKey } = generateKeyPairSync('ed25519');
let root = '';
let migrations: Migration[] = [];
let n = 0;
let db: Database;
let file = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'burrow-checkpoints-'));
  migrations = await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url)));
});
after(() => rm(root, { recursive: true, force: true }));
beforeEach(async () => {
  db = await Database.open(join(root, `c${++n}.sqlite`));
  await migrate(db, migrations);
  db.sealAuditWith(randomBytes(32));
  file = join(root, `checkpoints${n}.jsonl`);
});
afterEach(() => db.close());

const append = (clock: FakeClock) => appendAudit(db, { actor: 'system', action: 'test.entry', result: 'ok' }, clock.now());
/** Lets the checkpoint the timer started finish (it reads the store and appends to a file). */
const settle = (c: AuditCheckpointer) => c.checkpoint();

describe('audit checkpoints', () => {
  it('signs one at start, one per interval when entries were added, and one on close', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const posted: string[] = [];
    const c = new AuditCheckpointer({ db, clock, log: silentLogger(), signingKey: privateKey, file, intervalMs: 60_000, webhookUrl: 'https://audit.example/hook', post: async (_url, body) => void posted.push(body) });
    await append(clock);
    await c.start();
    clock.advance(60_000);
    await settle(c);
    await append(clock);
    await append(clock);
    clock.advance(60_000);
    await settle(c);
    await append(clock);
    await c.close();
    const cps = parseCheckpointLines(await readFile(file, 'utf8'));
    assert.deepEqual(cps.map((x) => x.seq), [1, 3, 4], 'nothing new in the first interval: no checkpoint');
    assert.ok(cps.every((x) => checkpointSignatureValid(createPublicKey(privateKey), x)));
    assert.ok(cps.every((x) => x.macFrom === 1));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(posted.length, 3);
    assert.equal((JSON.parse(posted[0] as string) as { type: string }).type, 'burrow.audit.checkpoint');
  });

  it('keeps going when the webhook fails', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const c = new AuditCheckpointer({ db, clock, log: silentLogger(), signingKey: privateKey, file, intervalMs: 60_000, webhookUrl: 'https://audit.example/hook', post: () => Promise.reject(new Error('connection refused')) });
    await append(clock);
    await c.start();
    await append(clock);
    await c.close();
    assert.deepEqual(parseCheckpointLines(await readFile(file, 'utf8')).map((x) => x.seq), [1, 2]);
  });

  it('keeps where sealing started from the previous run, even if the store no longer shows it', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    await append(clock);
    const first = new AuditCheckpointer({ db, clock, log: silentLogger(), signingKey: privateKey, file, intervalMs: 60_000 });
    await first.start();
    await first.close();
    await db.exec('DROP TRIGGER audit_no_update');
    await db.run('UPDATE audit_log SET mac = NULL');
    await append(clock);
    await db.run('UPDATE audit_log SET mac = NULL');
    const second = new AuditCheckpointer({ db, clock, log: silentLogger(), signingKey: privateKey, file, intervalMs: 60_000 });
    await second.start();
    await second.close();
    assert.deepEqual(parseCheckpointLines(await readFile(file, 'utf8')).map((x) => x.macFrom), [1, 1]);
  });
});
