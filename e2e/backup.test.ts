import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import { burrowBin } from './harness/paths.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

/** An audit entry as the API lists it. */
interface AuditView {
  seq: number;
  action: string;
  result: string;
  detail: Record<string, unknown>;
}

const PASSPHRASE = 'a backup passphrase long enough';

/** Every path under `dir` (relative) with its permission bits and whether it is a directory. */
async function modes(dir: string, rel = ''): Promise<[string, number, boolean][]> {
  const out: [string, number, boolean][] = [];
  for (const name of await readdir(join(dir, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(dir, p));
    out.push([p, st.mode & 0o777, st.isDirectory()]);
    if (st.isDirectory()) out.push(...(await modes(dir, p)));
  }
  return out;
}

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  const text = r.stderr.trim();
  assert.equal(text.split('\n').length, 1, `one sentence expected: ${text}`);
  assert.match(text, pattern);
}

/** Runs `burrow args…` to its end and gives its exit code and its peak resident memory (VmHWM, read while it runs). */
function peakMemory(args: string[]): Promise<{ code: number | null; stderr: string; peakBytes: number }> {
  return new Promise((resolve) => {
    const child = spawn(burrowBin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BURROW_HOME: '' } });
    let stderr = '';
    let peakBytes = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The high-water mark only grows, so the last reading before the exit is the peak but for its last moment.
    const timer = setInterval(() => {
      readFile(`/proc/${child.pid}/status`, 'utf8').then(
        (status) => (peakBytes = Math.max(peakBytes, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024)),
        () => undefined,
      );
    }, 20);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stderr, peakBytes });
    });
  });
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

// Issue 21, Backups.
describe('server backup and restore', () => {
  const stack = stackSuite({ nodeConfig: { backoffMaxMs: 2_000 } });
  const files = () => {
    const dir = stack().dir;
    return { backup: join(dir, 'burrow.backup'), passphrase: join(dir, 'passphrase'), restored: join(dir, 'restored') };
  };

  it('backs up a server under write load and restores it into a new home that serves the same nodes and audit log', async () => {
    const s = stack();
    const f = files();
    await writeFile(f.passphrase, `${PASSPHRASE}\n`, { mode: 0o600 });

    // Write load: audited API calls, one after another, for the whole backup.
    let writing = true;
    let written = 0;
    const load = (async () => {
      while (writing) {
        await s.api('POST', '/v1/enroll-tokens', { uses: 1 });
        written++;
      }
    })();
    await waitFor('some writes under load', () => written >= 5);
    const before = await s.api<AuditView[]>('GET', '/v1/audit?limit=1000');
    const atStart = written;
    const backup = await runBurrow(['server', 'backup', '--home', s.serverHome, '--to', f.backup, '--passphrase-file', f.passphrase], { timeoutMs: 60_000 });
    const during = written - atStart;
    writing = false;
    await load;
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(backup.stderr, '');
    assert.match(backup.stdout, /^Backed up the database, keys, certificate and config of .* \(\d+ files, \d+ bytes, encrypted\)\.\n$/);
    assert.ok(during > 0, 'the server kept writing while the backup ran');
    assert.equal((await lstat(f.backup)).mode & 0o777, 0o600);
    const lock = await readFile(join(s.serverHome, 'server.lock'), 'utf8');
    assert.equal(Number(lock.trim()), s.server?.child.pid, 'the running server still holds its lock');
    const secretKey = await readFile(join(s.serverHome, 'secret.key'));
    assert.equal((await readFile(f.backup)).includes(secretKey), false, 'the secret key is not in the clear');
    const recorded = await s.api<AuditView[]>('GET', '/v1/audit?action=server.backup');
    assert.equal(recorded[0]?.result, 'ok', JSON.stringify(recorded));

    // The old server goes away; the backup comes back in a new home, on the same address.
    if (s.server) await s.procs.stop(s.server);
    const restore = await runBurrow(['server', 'restore', '--from', f.backup, '--home', f.restored, '--passphrase-file', f.passphrase]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /^Restored .* Start it with: burrow server start --home /);
    const loose = (await modes(f.restored)).filter(([, mode, dir]) => mode !== (dir ? 0o700 : 0o600));
    assert.deepEqual(loose, []);
    assert.equal((await lstat(f.restored)).mode & 0o777, 0o700);
    const restoredNames = (await modes(f.restored)).map(([p]) => p);
    for (const name of ['burrow.db', 'secret.key', 'server.json', 'tls/cert.pem', 'tls/key.pem', 'ssh_host_ed25519_key', 'audit-mac.key', 'audit-signing.key', 'audit-checkpoints.jsonl', 'peer/key.pem', 'peer/cert.pem']) {
      assert.ok(restoredNames.includes(name), `${name} in ${restoredNames.join(', ')}`);
    }

    s.server = s.procs.spawn('server (restored)', ['server', 'start', '--home', f.restored], join(s.dir, 'server-restored.log'));
    await waitFor('the restored server to answer /healthz', async () => (await s.api<{ ok: boolean }>('GET', '/healthz', undefined, false)).ok, { timeoutMs: 20_000 });
    await s.waitOnline(s.node.id, true, 30_000);

    const verify = await runBurrow(['admin', 'audit', 'verify', '--home', s.adminHome]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^Audit log intact/);
    const after = await s.api<AuditView[]>('GET', '/v1/audit?limit=1000');
    const bySeq = new Map(after.map((e) => [e.seq, e]));
    for (const e of before) assert.deepEqual(bySeq.get(e.seq), e, `entry ${e.seq} committed before the backup`);
    const restored = after.find((e) => e.action === 'server.restore');
    assert.ok(restored, 'the restore is audited');
    assert.equal(restored.detail.from, f.backup);
    // The restore follows the snapshot's last entry, and the restored server's start follows the restore.
    const newest = before.reduce((m, e) => Math.max(m, e.seq), 0);
    assert.ok(restored.seq > newest, `restore entry ${restored.seq} after ${newest}`);
    assert.equal(bySeq.get(restored.seq + 1)?.action, 'server.start');
  });

  it('refuses a wrong passphrase, a damaged file, a non-empty home and a running server, writing nothing', async () => {
    const s = stack();
    const f = files();
    const target = join(s.dir, 'second');
    const wrong = join(s.dir, 'wrong-passphrase');
    await writeFile(wrong, 'not the passphrase at all\n', { mode: 0o600 });
    const leftovers = async () => (await readdir(s.dir)).filter((n) => n.startsWith('.second') || n === 'second');

    assertFails(await runBurrow(['server', 'restore', '--from', f.backup, '--home', target, '--passphrase-file', wrong]), /^burrow: The passphrase for the backup .* is wrong\.$/);
    assert.deepEqual(await leftovers(), []);

    const damaged = join(s.dir, 'damaged.backup');
    const bytes = await readFile(f.backup);
    const i = Math.floor(bytes.length / 2);
    bytes[i] = (bytes[i] ?? 0) ^ 0x01;
    await writeFile(damaged, bytes, { mode: 0o600 });
    assertFails(await runBurrow(['server', 'restore', '--from', damaged, '--home', target, '--passphrase-file', f.passphrase]), /^burrow: The backup .* is damaged .*nothing was restored\.$/);
    assert.deepEqual(await leftovers(), []);

    assertFails(await runBurrow(['server', 'restore', '--from', f.backup, '--home', s.adminHome, '--passphrase-file', f.passphrase]), /is not empty; .*--force/);

    // The restored server from the first test runs on f.restored: even --force leaves it alone.
    const config = await readFile(join(f.restored, 'server.json'), 'utf8');
    assertFails(await runBurrow(['server', 'restore', '--from', f.backup, '--home', f.restored, '--force', '--passphrase-file', f.passphrase]), /already running/);
    assert.equal(await readFile(join(f.restored, 'server.json'), 'utf8'), config);
    const verify = await runBurrow(['admin', 'audit', 'verify', '--home', s.adminHome]);
    assert.equal(verify.code, 0, verify.stderr);
  });

  it('writes an unencrypted backup only when told, with a warning, and a secrets-only one without the database', async () => {
    const s = stack();
    const f = files();
    const plain = join(s.dir, 'plain.backup');
    const r = await runBurrow(['server', 'backup', '--home', f.restored, '--to', plain, '--no-encrypt']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Warning: .* is NOT encrypted/);
    assert.equal((await lstat(plain)).mode & 0o777, 0o600);
    const into = join(s.dir, 'from-plain');
    const restore = await runBurrow(['server', 'restore', '--from', plain, '--home', into]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.deepEqual(await readFile(join(into, 'secret.key')), await readFile(join(f.restored, 'secret.key')));

    const secrets = join(s.dir, 'secrets.backup');
    const r2 = await runBurrow(['server', 'backup', '--home', f.restored, '--to', secrets, '--secrets-only', '--passphrase-file', f.passphrase]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, /\(no database\)/);
    const into2 = join(s.dir, 'from-secrets');
    const restore2 = await runBurrow(['server', 'restore', '--from', secrets, '--home', into2, '--passphrase-file', f.passphrase]);
    assert.equal(restore2.code, 0, restore2.stderr);
    assert.match(restore2.stdout, /holds no database: restore the PostgreSQL store with pg_restore/);
    const names = (await modes(into2)).map(([p]) => p);
    assert.ok(names.includes('secret.key') && names.includes('tls/key.pem'), names.join(', '));
    assert.ok(!names.some((n) => n.startsWith('burrow.db')), names.join(', '));

    assertFails(await runBurrow(['server', 'backup', '--home', f.restored, '--to', join(s.dir, 'x.backup'), '--no-encrypt', '--passphrase-file', f.passphrase]), /contradict/);
    assertFails(await runBurrow(['server', 'backup', '--home', f.restored, '--to', join(f.restored, 'x.backup'), '--no-encrypt']), /outside the server home/);
  });

  it('streams a home with a recording far larger than the memory it uses, both ways', async () => {
    const s = stack();
    const f = files();
    // The stopped home restored from the plain backup above.
    const home = join(s.dir, 'from-plain');
    const recording = join(home, 'recordings', 'large.cast');
    const size = 256 * 1024 * 1024;
    await mkdir(join(home, 'recordings'), { recursive: true, mode: 0o700 });
    const fh = await open(recording, 'w', 0o600);
    await fh.write('{"version":2}\n');
    await fh.truncate(size);
    await fh.close();
    const to = join(s.dir, 'large.backup');
    const backup = await peakMemory(['server', 'backup', '--home', home, '--to', to, '--passphrase-file', f.passphrase]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.ok((await lstat(to)).size > size, 'the recording is in the backup');
    const into = join(s.dir, 'from-large');
    const restore = await peakMemory(['server', 'restore', '--from', to, '--home', into, '--passphrase-file', f.passphrase]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(await fileSha256(join(into, 'recordings', 'large.cast')), await fileSha256(recording));
    // Holding the recording whole would take 256 MiB at least, several times that encrypted.
    for (const [what, r] of [['backup', backup], ['restore', restore]] as const) {
      assert.ok(r.peakBytes > 0 && r.peakBytes < 200 * 1024 * 1024, `${what} peaked at ${Math.round(r.peakBytes / 1048576)} MiB`);
    }
  });
});
