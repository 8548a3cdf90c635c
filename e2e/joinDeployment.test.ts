import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { startScratchPostgres, type ScratchPostgres } from '../src/server/store/scratchPostgres.js';
import { burrowJson, burrowOk, runBurrow } from './harness/burrowCli.js';
import { freePort, sessionPortRange } from './harness/freePort.js';
import { makeTempDir } from './harness/tempDir.js';
import { ADMIN, ServerStack } from './harness/serverStack.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

const PASSPHRASE = 'the deployment bundle passphrase';

/** The first instance of a deployment on PostgreSQL, started, with its admin signed in through it. */
class FirstInstance extends ServerStack {
  static async start(database: string): Promise<FirstInstance> {
    const tmp = await makeTempDir();
    const stack = new FirstInstance(tmp.path, tmp.remove);
    return stack.startOrClose(async () => {
      await stack.initServer({ initArgs: ['--database', database] });
      await stack.startServer();
      await stack.login();
    });
  }
}

/** What `server init --join --json` prints. */
interface JoinOutput {
  home: string;
  instanceId: string;
  url: string;
  fingerprint: string;
}

// Issue 20: a second instance joins the deployment with the shared secrets, and what is global stays global.
describe('joining an instance to a deployment', () => {
  let cluster: ScratchPostgres | undefined;
  let first: FirstInstance | undefined;
  let url = '';
  let bundle = '';
  let passphraseFile = '';
  let second: JoinOutput;
  const f = () => {
    if (!first) throw new Error('the first instance did not start');
    return first;
  };
  const joinArgs = (home: string, o: { bundle?: string; passphraseFile?: string } = {}) => [
    'server', 'init', '--join', o.bundle ?? bundle, '--database', url, '--home', home, '--passphrase-file', o.passphraseFile ?? passphraseFile,
  ];

  before(async () => {
    cluster = await startScratchPostgres();
    url = await cluster.createDatabase();
    first = await FirstInstance.start(url);
    bundle = join(f().dir, 'deployment.bundle');
    passphraseFile = join(f().dir, 'bundle-passphrase');
    await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    // Taken from the running first instance, as an operator adding capacity would.
    await burrowOk(['server', 'backup', '--home', f().serverHome, '--to', bundle, '--secrets-only', '--passphrase-file', passphraseFile]);
    const listen = `127.0.0.1:${await freePort()}`;
    second = await burrowJson<JoinOutput>([
      ...joinArgs(join(f().dir, 'second')), '--listen', listen, '--public-url', `https://${listen}`, '--session-ports', sessionPortRange().join('-'), '--session-host', '127.0.0.1',
    ]);
    const proc = f().procs.spawn('server 2', ['server', 'start', '--home', second.home], join(f().dir, 'server2.log'));
    await waitFor('the second instance to answer /healthz', async () => {
      if (proc.child.exitCode !== null) throw new Error(`the second instance exited with ${proc.child.exitCode}`);
      return (await requestJson<{ ok: boolean }>(`${second.url}/healthz`, { pin: second.fingerprint, timeoutMs: 5_000 })).ok;
    }, { timeoutMs: 20_000 });
  });
  afterEach((t) => {
    if (!t.passed && first) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${first.procs.logTails()}\n`);
  });
  after(async () => {
    await first?.close();
    await cluster?.stop();
  });

  it('serves with the deployment\'s certificate and an instance id of its own', async () => {
    assert.equal(second.fingerprint, f().pin);
    assert.match(second.instanceId, /^i-[0-9a-f]{12}$/);
    assert.equal((await readFile(join(second.home, 'instance-id'), 'utf8')).trim(), second.instanceId);
    const config = JSON.parse(await readFile(join(second.home, 'server.json'), 'utf8')) as { database?: string; listen?: string };
    assert.equal(config.database, url);
    assert.notEqual(config.listen, JSON.parse(await readFile(join(f().serverHome, 'server.json'), 'utf8')).listen);
  });

  it('accepts on instance 2 an admin token minted through instance 1', async () => {
    const nodes = await requestJson<unknown[]>(`${second.url}/v1/nodes`, { pin: second.fingerprint, token: f().apiToken, timeoutMs: 5_000 });
    assert.ok(Array.isArray(nodes));
    const joined = await requestJson<{ action: string; target: string }[]>(`${second.url}/v1/audit?action=server.join`, { pin: second.fingerprint, token: f().apiToken, timeoutMs: 5_000 });
    assert.deepEqual(joined.map((e) => [e.action, e.target]), [['server.join', second.instanceId]]);
  });

  it('refuses on instance 2 a TOTP code already used on instance 1', async () => {
    // The next step's code: newer than the one the first sign-in used, and valid now (±1 step).
    const code = await totpCode(f().totpSecret, 30);
    const login = (server: string, home: string) =>
      runBurrow(['admin', 'login', '--home', home, '--server', server, '--email', ADMIN.email, '--password-file', f().passwordFile, '--totp', code, '--fingerprint', f().pin]);
    const one = await login(f().url, join(f().dir, 'admin-one'));
    assert.equal(one.code, 0, one.stderr);
    const two = await login(second.url, join(f().dir, 'admin-two'));
    assert.notEqual(two.code, 0);
    assert.equal(two.stderr.trim(), 'burrow: That authenticator code was already used; wait for the next one.');
  });

  it('keeps one audit chain that verifies after both instances wrote to it', async () => {
    const r = await runBurrow(['admin', 'audit', 'verify'], { env: { BURROW_HOME: f().adminHome } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /intact: \d+ entries/);
  });

  it('refuses a wrong passphrase and another deployment\'s bundle, writing nothing', async () => {
    const home = join(f().dir, 'third');
    const wrong = join(f().dir, 'wrong-passphrase');
    await writeFile(wrong, 'not the passphrase of this bundle\n', { mode: 0o600 });
    const r = await runBurrow(joinArgs(home, { passphraseFile: wrong }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.trim(), /^burrow: The passphrase for the backup \S+deployment\.bundle is wrong\.$/);
    await assert.rejects(stat(home), { code: 'ENOENT' });

    // Another deployment: its own database, its own secrets.
    const foreignHome = join(f().dir, 'foreign');
    const foreignBundle = join(f().dir, 'foreign.bundle');
    await burrowOk(['server', 'init', '--home', foreignHome, '--listen', '127.0.0.1:1', '--database', await (cluster as ScratchPostgres).createDatabase(), '--admin-password-file', f().passwordFile]);
    await burrowOk(['server', 'backup', '--home', foreignHome, '--to', foreignBundle, '--secrets-only', '--passphrase-file', passphraseFile]);
    const foreign = await runBurrow(joinArgs(home, { bundle: foreignBundle }));
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr.trim(), /^burrow: The bundle \S+foreign\.bundle is not from the deployment in postgres:\/\/\S+: its sealing key \(secret\.key\) cannot open the secrets stored there; nothing was written\.$/);
    await assert.rejects(stat(home), { code: 'ENOENT' });
    assert.deepEqual((await readdir(f().dir)).filter((n) => n.includes('.join-')), [], 'no staging directory left behind');

    const noDatabase = await runBurrow(['server', 'init', '--join', bundle, '--home', home, '--passphrase-file', passphraseFile]);
    assert.notEqual(noDatabase.code, 0);
    assert.equal(noDatabase.stderr.trim(), 'burrow: --join needs --database postgres://…: the instances of a deployment share one PostgreSQL database.');
    const withAdmin = await runBurrow([...joinArgs(home), '--admin-email', 'someone@example.com']);
    assert.notEqual(withAdmin.code, 0);
    assert.equal(withAdmin.stderr.trim(), 'burrow: --join adds an instance to a deployment that has its admins already; leave out --admin-email.');
    await assert.rejects(stat(home), { code: 'ENOENT' });
  });
});
