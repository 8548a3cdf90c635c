import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { auditPaths, loadAuditKeys } from '../audit/auditKeys.js';
import { openBackup } from '../backup/backupReader.js';
import { sealBackup } from '../backup/backupWriter.js';
import { backupServer } from '../backup/serverBackup.js';
import { serverPaths } from '../serverHome.js';
import { initServer } from '../serverInit.js';
import { listAudit, verifyAudit } from '../store/auditStore.js';
import { Database } from '../store/database.js';
import { startScratchPostgres, type ScratchPostgres } from '../store/scratchPostgres.js';
import { joinDeployment, type JoinOptions } from './joinDeployment.js';

const PASSPHRASE = 'a bundle passphrase long enough';
const clock = new FakeClock(1_700_000_000_000);

describe('server init --join', () => {
  let cluster: ScratchPostgres;
  let dir: string;
  let url: string;
  let bundle: string;
  let foreignBundle: string;

  /** `server init` into a new home on `database`, and its secrets-only backup at `to`. */
  async function deployment(name: string, database: string, to: string): Promise<void> {
    const home = join(dir, name);
    await initServer({ home, listen: '127.0.0.1:8443', sessionPorts: [40000, 40100], adminEmail: 'admin@example.com', database });
    await backupServer({ home, to, passphrase: () => Promise.resolve(PASSPHRASE), secretsOnly: true, clock });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-join-'));
    cluster = await startScratchPostgres();
    url = await cluster.createDatabase();
    bundle = join(dir, 'first.bundle');
    foreignBundle = join(dir, 'foreign.bundle');
    await deployment('first', url, bundle);
    await deployment('foreign', await cluster.createDatabase(), foreignBundle);
  });
  after(async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const options = (home: string, o: Partial<JoinOptions> = {}): JoinOptions => ({
    home, bundle, database: url, listen: '127.0.0.1:9443', sessionPorts: [41000, 41100], passphrase: () => Promise.resolve(PASSPHRASE), clock, ...o,
  });
  const auditCount = async () => {
    const db = await Database.open(url);
    try {
      return (await listAudit(db, { limit: 10_000 })).length;
    } finally {
      await db.close();
    }
  };
  /** Fails unless `home` does not exist and nothing was left beside it. */
  const nothingWritten = async (home: string) => {
    await assert.rejects(stat(home), { code: 'ENOENT' });
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes('.join-')), []);
  };

  it('makes a home with the shared secrets, an instance id and config of its own, and audits the join', async () => {
    const home = join(dir, 'second');
    const r = await joinDeployment(options(home, { peerListen: '127.0.0.1:9444' }));
    const first = join(dir, 'first');
    for (const p of [serverPaths('').secretKey, serverPaths('').tlsCert, serverPaths('').tlsKey, serverPaths('').hostKey, auditPaths('').macKey, auditPaths('').signingKey]) {
      assert.deepEqual(await readFile(join(home, p)), await readFile(join(first, p)), p);
      assert.equal((await stat(join(home, p))).mode & 0o777, 0o600, p);
    }
    assert.equal((await stat(home)).mode & 0o777, 0o700);
    const ownId = (await readFile(serverPaths(home).instanceId, 'utf8')).trim();
    assert.equal(ownId, r.instanceId);
    assert.match(ownId, /^i-[0-9a-f]{12}$/);
    assert.notEqual(ownId, (await readFile(serverPaths(first).instanceId, 'utf8').catch(() => '')).trim());
    const config = JSON.parse(await readFile(serverPaths(home).config, 'utf8')) as Record<string, unknown>;
    assert.deepEqual([config.listen, config.database, config.sessionPorts, config.peerListen], ['127.0.0.1:9443', url, [41000, 41100], '127.0.0.1:9444']);
    // The peer link's key pair comes along; nothing else of that home does.
    assert.deepEqual((await readdir(home)).sort(), ['audit-mac.key', 'audit-signing.key', 'audit-signing.pub', 'instance-id', 'peer', 'secret.key', 'server.json', 'ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub', 'tls']);
    for (const p of [serverPaths('').peerKey, serverPaths('').peerCert]) assert.deepEqual(await readFile(join(home, p)), await readFile(join(first, p)), p);
    assert.deepEqual(r.warnings.filter((w) => w.includes('peer')), []);
    const db = await Database.open(url);
    try {
      const [entry] = await listAudit(db, { action: 'server.join' });
      assert.equal(entry?.target, r.instanceId);
      assert.equal(entry?.result, 'ok');
      const keys = await loadAuditKeys(home);
      const verdict = await verifyAudit(db, { macKey: keys.macKey, publicKey: createPublicKey(keys.publicKeyPem) }, []);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
    } finally {
      await db.close();
    }
  });

  it('refuses a bundle without the peer key pair in one sentence, writing nothing', async () => {
    const noPeer = join(dir, 'no-peer.bundle');
    const own = await openBackup(await readFile(bundle), bundle, PASSPHRASE);
    await writeFile(noPeer, await sealBackup({ createdAt: own.manifest.createdAt, sourceHome: 'x', database: null }, own.files.filter((f) => !f.path.startsWith('peer/')), PASSPHRASE));
    const home = join(dir, 'no-peer');
    const before = await auditCount();
    await assert.rejects(joinDeployment(options(home, { bundle: noPeer })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'VALIDATION');
      assert.match(err.message, /^The bundle .*no-peer\.bundle holds no peer key pair \(peer\/key\.pem, peer\/cert\.pem\), which every instance needs to reach the nodes the others hold: make a new bundle with "burrow server backup --secrets-only" on an instance started with this version of burrow; nothing was written\.$/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    await nothingWritten(home);
    assert.equal(await auditCount(), before);
  });

  it('refuses a bundle whose peer key does not belong to its peer certificate', async () => {
    const mixed = join(dir, 'mixed-peer.bundle');
    const own = await openBackup(await readFile(bundle), bundle, PASSPHRASE);
    const foreign = await openBackup(await readFile(foreignBundle), foreignBundle, PASSPHRASE);
    const files = own.files.map((f) => (f.path === serverPaths('').peerKey ? (foreign.files.find((g) => g.path === f.path) ?? f) : f));
    await writeFile(mixed, await sealBackup({ createdAt: own.manifest.createdAt, sourceHome: 'x', database: null }, files, PASSPHRASE));
    const home = join(dir, 'mixed-peer');
    await assert.rejects(joinDeployment(options(home, { bundle: mixed })), /is not usable: its peer key does not belong to its peer certificate\.$/);
    await nothingWritten(home);
  });

  it('refuses a wrong passphrase, writing nothing', async () => {
    const home = join(dir, 'wrong-passphrase');
    const before = await auditCount();
    await assert.rejects(joinDeployment(options(home, { passphrase: () => Promise.resolve('not the passphrase at all') })), /passphrase for the backup .* is wrong/);
    await nothingWritten(home);
    assert.equal(await auditCount(), before);
  });

  it("refuses another deployment's bundle in one sentence, writing nothing", async () => {
    const home = join(dir, 'foreign-join');
    const before = await auditCount();
    await assert.rejects(joinDeployment(options(home, { bundle: foreignBundle })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CONFLICT');
      assert.match(err.message, /^The bundle .*foreign\.bundle is not from the deployment in postgres:\/\/[^ ]+: its sealing key \(secret\.key\) cannot open the secrets stored there; nothing was written\.$/);
      return true;
    });
    await nothingWritten(home);
    assert.equal(await auditCount(), before);
  });

  it('refuses a bundle whose audit key is foreign even when its sealing key fits', async () => {
    const mixed = join(dir, 'mixed.bundle');
    const own = await openBackup(await readFile(bundle), bundle, PASSPHRASE);
    const foreign = await openBackup(await readFile(foreignBundle), foreignBundle, PASSPHRASE);
    const audit = new Set([auditPaths('').macKey]);
    const files = own.files.map((f) => (audit.has(f.path) ? (foreign.files.find((g) => g.path === f.path) ?? f) : f));
    await writeFile(mixed, await sealBackup({ createdAt: own.manifest.createdAt, sourceHome: 'x', database: null }, files, PASSPHRASE));
    const home = join(dir, 'mixed-join');
    await assert.rejects(joinDeployment(options(home, { bundle: mixed })), /its audit MAC key does not verify the audit log's newest entry; nothing was written\.$/);
    await nothingWritten(home);
  });

  it('refuses a database no first instance initialised', async () => {
    const home = join(dir, 'empty-db');
    await assert.rejects(joinDeployment(options(home, { database: await cluster.createDatabase() })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'NOT_INITIALIZED');
      assert.match(err.message, /holds no burrow deployment yet: make its first instance with "burrow server init --database …", then join others to it; nothing was written\.$/);
      return true;
    });
    await nothingWritten(home);
  });

  it('refuses a bundle that lacks a shared secret, and a home that is not empty', async () => {
    const partial = join(dir, 'partial.bundle');
    const own = await openBackup(await readFile(bundle), bundle, PASSPHRASE);
    await writeFile(partial, await sealBackup({ createdAt: own.manifest.createdAt, sourceHome: 'x', database: null }, own.files.filter((f) => f.path !== auditPaths('').signingKey), null));
    const home = join(dir, 'partial-join');
    await assert.rejects(joinDeployment(options(home, { bundle: partial })), /lacks audit-signing\.key: make it with "burrow server backup --secrets-only"/);
    await nothingWritten(home);
    const busy = join(dir, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'notes.txt'), 'mine');
    await assert.rejects(joinDeployment(options(busy)), /busy is not empty; join into a new or empty directory\.$/);
    assert.deepEqual(await readdir(busy), ['notes.txt']);
  });
});
