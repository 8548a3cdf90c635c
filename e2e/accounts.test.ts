import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SessionView } from '../src/shared/protocol.js';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import { probePort } from './harness/freePort.js';
import { stackSuite } from './harness/stackSuite.js';
import { totpCode } from './harness/totp.js';

const sh = promisify(execFile);

/** The one-sentence CLI error of a failed command. */
function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  const text = r.stderr.trim();
  assert.equal(text.split('\n').length, 1, `one line expected: ${text}`);
  assert.match(text, pattern);
}

// Issue 4, as people use it from the CLI: a new operator enrolls an authenticator, an
// admin disables an account, sign-in throttling, and a tampered audit log.
describe('accounts from the CLI', () => {
  const stack = stackSuite();

  /** Creates a user with a known password; returns a function running CLI commands as that user. */
  async function newUser(email: string, role: string, group: string) {
    const s = stack();
    const pw = join(s.dir, `${email}.pw`);
    await writeFile(pw, 'a fine long passphrase 9', { mode: 0o600 });
    await s.admin(['users', 'create', email, '--role', role, '--group', group, '--password-file', pw]);
    const home = join(s.dir, `home-${email}`);
    const as = (args: string[]) => runBurrow([...args, '--home', home]);
    const login = (extra: string[]) => as(['admin', 'login', '--server', s.url, '--email', email, '--password-file', pw, '--fingerprint', s.pin, ...extra]);
    return { home, as, login };
  }

  /** Signs a new user in without a code and enrolls their authenticator; returns its secret. */
  async function enrollTotp(u: Awaited<ReturnType<typeof newUser>>): Promise<string> {
    const first = await u.login(['--no-totp']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /burrow admin totp setup/);
    const setup = await u.as(['admin', 'totp', 'setup', '--json']);
    const { secret } = JSON.parse(setup.stdout) as { secret: string };
    const confirm = await u.as(['admin', 'totp', 'confirm', await totpCode(secret), '--json']);
    assert.equal(confirm.code, 0, confirm.stderr);
    assert.equal((JSON.parse(confirm.stdout) as { recoveryCodes: string[] }).recoveryCodes.length, 10);
    return secret;
  }

  it('makes a new operator enroll TOTP before anything else, then shows only their group', async () => {
    const s = stack();
    await s.admin(['groups', 'create', 'acme']);
    const u = await newUser('ops@acme.example', 'operator', 'acme');
    assert.equal((await u.login(['--no-totp'])).code, 0);
    assertFails(await u.as(['admin', 'nodes']), /authenticator/i);
    const setup = JSON.parse((await u.as(['admin', 'totp', 'setup', '--json'])).stdout) as { secret: string; uri: string };
    assert.match(setup.uri, /^otpauth:\/\/totp\//);
    assertFails(await u.as(['admin', 'totp', 'confirm', '000000']), /code/i);
    assert.equal((await u.as(['admin', 'totp', 'confirm', await totpCode(setup.secret)])).code, 0);
    const nodes = await u.as(['admin', 'nodes', '--json']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.deepEqual(JSON.parse(nodes.stdout), [], 'the node n1 lies in root, outside acme');
  });

  it('cuts a disabled user off at once: their token and their open WebUI session', async () => {
    const s = stack();
    const u = await newUser('temp@example.com', 'operator', 'root');
    await enrollTotp(u);
    const opened = await u.as(['admin', 'session', 'open', 'n1', '--json']);
    assert.equal(opened.code, 0, opened.stderr);
    const session = JSON.parse(opened.stdout) as SessionView;
    assert.equal(await probePort(session.port), 'connected');
    await s.admin(['users', 'disable', 'temp@example.com']);
    assert.equal(await probePort(session.port), 'ECONNREFUSED');
    assertFails(await u.as(['admin', 'nodes']), /disabled|sign in/i);
    const audit = await s.adminJson<{ action: string; target: string }[]>(['audit', '--action', 'user.disable']);
    assert.equal(audit[0]?.target, 'temp@example.com');
  });

  it('throttles repeated wrong passwords with a clear message', async () => {
    const s = stack();
    const wrong = join(s.dir, 'wrong.pw');
    await writeFile(wrong, 'not the right password at all');
    const attempt = () => runBurrow(['admin', 'login', '--server', s.url, '--email', 'victim@example.com', '--password-file', wrong, '--totp', '123456', '--fingerprint', s.pin, '--home', join(s.dir, 'attacker')]);
    for (let i = 0; i < 3; i++) assertFails(await attempt(), /wrong email or password/i);
    // From the fourth on each attempt must wait (1 s, 2 s, 4 s …): a loaded machine may take
    // longer than the first wait to start the CLI, so the throttle shows by the time the
    // waits outgrow that, and always before the lock at ten.
    let refused: CliResult | undefined;
    for (let i = 3; i < 10 && !refused; i++) {
      const r = await attempt();
      if (/too many failed sign-ins/i.test(r.stderr)) refused = r;
      else assertFails(r, /wrong email or password/i);
    }
    assert.ok(refused, 'throttled before the tenth attempt');
    assertFails(refused, /too many failed sign-ins.*try again in \d+ s/i);
  });

  it('makes a user with a temporary password choose their own at the first sign-in', async () => {
    const s = stack();
    const made = await s.adminJson<{ temporaryPassword: string; temporaryPasswordExpiresAt: string }>(['users', 'create', 'fresh@example.com', '--role', 'viewer', '--group', 'root']);
    assert.ok(Date.parse(made.temporaryPasswordExpiresAt) > Date.now() + 23 * 3_600_000, 'it works for 24 h');
    const pw = join(s.dir, 'fresh.pw');
    const chosen = join(s.dir, 'fresh-new.pw');
    await writeFile(pw, made.temporaryPassword);
    await writeFile(chosen, 'my very own passphrase 5');
    const login = (passwordFile: string, extra: string[] = []) =>
      runBurrow(['admin', 'login', '--server', s.url, '--email', 'fresh@example.com', '--password-file', passwordFile, '--no-totp', '--fingerprint', s.pin, '--home', join(s.dir, 'home-fresh'), ...extra]);
    assertFails(await login(pw), /temporary password.*--new-password-file/);
    const changed = await login(pw, ['--new-password-file', chosen]);
    assert.equal(changed.code, 0, changed.stderr);
    assertFails(await login(pw), /wrong email or password/i);
    const again = await login(chosen);
    assert.equal(again.code, 0, again.stderr);
    // An administrator's unlock is a command too (nothing is locked here; it simply succeeds).
    assert.match(await s.admin(['users', 'unlock', 'fresh@example.com']), /unlock/);
  });

  it('finds a row edited in the database, at exactly that row', async () => {
    const s = stack();
    const ok = await s.admin(['audit', 'verify']);
    assert.match(ok, /intact/);
    const entries = await s.adminJson<{ seq: number }[]>(['audit', '--limit', '1000']);
    const victim = entries[Math.floor(entries.length / 2)]?.seq as number;
    // An attacker with the database file: drop the guard trigger, change one entry.
    await sh('sqlite3', [join(s.serverHome, 'burrow.db'), `DROP TRIGGER audit_no_update; UPDATE audit_log SET result = 'ok', detail = '{"forged":true}' WHERE seq = ${victim};`]);
    assertFails(await runBurrow(['admin', 'audit', 'verify', '--home', s.adminHome]), new RegExp(`entry ${victim}\\b`));
  });
});
