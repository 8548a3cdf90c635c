import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { runBurrow, burrowJson, burrowOk, type CliResult } from './harness/burrowCli.js';
import { freePort, sessionPortRange } from './harness/freePort.js';
import { ProcessGroup } from './harness/processGroup.js';
import { makeTempDir } from './harness/tempDir.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

/** What `burrow server init --json` prints. */
interface InitOutput {
  url: string;
  adminEmail: string;
  adminPassword: string;
  totpSecret: string;
  fingerprint: string;
}

/** The one-sentence CLI error of a failed command. */
function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  const text = r.stderr.trim();
  assert.equal(text.split('\n').length, 1, `one line expected: ${text}`);
  assert.match(text, pattern);
}

// Issue 17, items 1, 7 and 11: the first run exactly as README tells it, with server init's
// defaults (the first admin is admin@localhost) and a self-signed certificate.
describe('the documented first run (real server, defaults of server init)', () => {
  const procs = new ProcessGroup();
  let dir = '';
  let removeDir = async () => {};
  let init: InitOutput;
  let passwordFile = '';
  before(async () => {
    const tmp = await makeTempDir('burrow-e2e-first-');
    [dir, removeDir] = [tmp.path, tmp.remove];
    const listen = `127.0.0.1:${await freePort()}`;
    init = await burrowJson<InitOutput>(['server', 'init', '--home', join(dir, 'server'), '--listen', listen, '--session-ports', sessionPortRange(10).join('-')]);
    passwordFile = join(dir, 'admin-password');
    await writeFile(passwordFile, init.adminPassword, { mode: 0o600 });
    const server = procs.spawn('server', ['server', 'start', '--home', join(dir, 'server')], join(dir, 'server.log'));
    await waitFor('the server to answer /healthz', async () => {
      if (server.child.exitCode !== null) throw new Error(`the server exited with ${server.child.exitCode}`);
      return (await requestJson<{ ok: boolean }>(new URL('/healthz', init.url).toString(), { method: 'GET', pin: init.fingerprint, timeoutMs: 5_000 })).ok;
    }, { timeoutMs: 20_000 });
  });
  after(async () => {
    await procs.stopAll();
    await removeDir();
  });

  const login = async (home: string, extra: string[]) =>
    runBurrow(['admin', 'login', '--server', init.url, '--email', init.adminEmail, '--password-file', passwordFile, '--totp', await totpCode(init.totpSecret), '--home', home, ...extra]);

  it('says how to pin a self-signed server when login is given no --fingerprint', async () => {
    const r = await login(join(dir, 'nopin'), []);
    assertFails(r, /self-signed.*--fingerprint sha256\/.*burrow server init.*burrow server fingerprint/);
    assert.equal((await burrowOk(['server', 'fingerprint', '--home', join(dir, 'server')])).trim(), init.fingerprint);
  });

  it('signs in as the admin that server init made by default (admin@localhost), who can create a user at a dotless host', async () => {
    assert.equal(init.adminEmail, 'admin@localhost');
    const home = join(dir, 'admin');
    const r = await login(home, ['--fingerprint', init.fingerprint]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged in .* as admin@localhost/);
    const created = JSON.parse(await burrowOk(['admin', 'users', 'create', 'ops@localhost', '--role', 'viewer', '--group', 'root', '--json', '--home', home])) as { email: string };
    assert.equal(created.email, 'ops@localhost');
    assertFails(await runBurrow(['admin', 'users', 'create', 'no spaces@localhost', '--role', 'viewer', '--group', 'root', '--home', home]), /email/i);
  });
});
