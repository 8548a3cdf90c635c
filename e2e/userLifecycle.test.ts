import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import { ADMIN } from './harness/serverStack.js';
import { stackSuite } from './harness/stackSuite.js';
import { totpCode, waitForNextTotpStep } from './harness/totp.js';

const PASSWORD = 'a fine long passphrase 9';
const NEW_PASSWORD = 'another fine passphrase 7';

/** The one-sentence CLI error of a failed command. */
function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  const text = r.stderr.trim();
  assert.equal(text.split('\n').length, 1, `one line expected: ${text}`);
  assert.match(text, pattern);
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, r.stderr);
}

// Issue 22, user lifecycle: password change, an administrator's reset, email change and
// deletion, the way people use them from the CLI.
describe('user lifecycle from the CLI', () => {
  const stack = stackSuite();

  /** A user with a known password, and CLI homes to sign in from. */
  async function newUser(email: string, role: string) {
    const s = stack();
    const files = { old: join(s.dir, `${email}.pw`), fresh: join(s.dir, `${email}.new.pw`) };
    await writeFile(files.old, PASSWORD, { mode: 0o600 });
    await writeFile(files.fresh, NEW_PASSWORD, { mode: 0o600 });
    await s.admin(['users', 'create', email, '--role', role, '--group', 'root', '--password-file', files.old]);
    const as = (home: string, args: string[]) => runBurrow([...args, '--home', join(s.dir, `${email}-${home}`)]);
    const login = (home: string, who: string, passwordFile: string, extra: string[]) =>
      as(home, ['admin', 'login', '--server', s.url, '--email', who, '--password-file', passwordFile, '--fingerprint', s.pin, ...extra]);
    return { files, as, login };
  }

  it('changes the own password with the current one and a code; other sign-ins end, this one stays', async () => {
    const email = 'changer@example.com';
    const u = await newUser(email, 'operator');
    // Two sign-ins before the authenticator is enrolled: the second is "the other one".
    assertOk(await u.login('a', email, u.files.old, ['--no-totp']));
    assertOk(await u.login('b', email, u.files.old, ['--no-totp']));
    const { secret } = JSON.parse((await u.as('a', ['admin', 'totp', 'setup', '--json'])).stdout) as { secret: string };
    assertOk(await u.as('a', ['admin', 'totp', 'confirm', await totpCode(secret)]));
    assertOk(await u.as('b', ['admin', 'nodes']));

    const change = (passwordFile: string, code: string) => u.as('a', ['admin', 'password', '--password-file', passwordFile, '--new-password-file', u.files.fresh, '--totp', code]);
    assertFails(await change(u.files.fresh, '000000'), /current password is wrong/i);
    assertFails(await change(u.files.old, '000000'), /code is wrong/i);
    // The step after the one spent on enrollment (the server accepts one step either side).
    const changed = await change(u.files.old, await totpCode(secret, 30));
    assertOk(changed);
    assert.match(changed.stdout, /Password changed/);

    assertOk(await u.as('a', ['admin', 'nodes']));
    assertFails(await u.as('b', ['admin', 'nodes']), /sign in|revoked|log ?in/i);
    assertFails(await u.login('c', email, u.files.old, ['--totp', '123456']), /wrong email or password/i);
    await waitForNextTotpStep();
    assertOk(await u.login('c', email, u.files.fresh, ['--totp', await totpCode(secret, 30)]));
    const audit = await stack().adminJson<{ target: string; result: string }[]>(['audit', '--json', '--action', 'user.password-change']);
    assert.deepEqual(audit.map((e) => [e.target, e.result]).sort(), [[email, 'denied'], [email, 'ok']]);
  });

  it('makes a user choose a new password at the next sign-in after an administrator reset it', async () => {
    const email = 'forgetful@example.com';
    const u = await newUser(email, 'viewer');
    assertOk(await u.login('a', email, u.files.old, ['--no-totp']));
    const reset = await stack().adminJson<{ temporaryPassword: string; temporaryPasswordExpiresAt: string }>(['users', 'reset-password', email, '--json']);
    assert.ok(Date.parse(reset.temporaryPasswordExpiresAt) > Date.now() + 23 * 3_600_000, 'it works for 24 h');
    assertFails(await u.as('a', ['admin', 'nodes']), /sign in|revoked|log ?in/i);
    const temporary = join(stack().dir, 'forgetful.tmp.pw');
    await writeFile(temporary, reset.temporaryPassword);
    assertFails(await u.login('b', email, u.files.old, ['--no-totp']), /wrong email or password/i);
    assertFails(await u.login('b', email, temporary, ['--no-totp']), /temporary password.*--new-password-file/);
    assertOk(await u.login('b', email, temporary, ['--no-totp', '--new-password-file', u.files.fresh]));
    assertFails(await u.login('c', email, temporary, ['--no-totp']), /wrong email or password/i);
    assertOk(await u.login('c', email, u.files.fresh, ['--no-totp']));
    const audit = await stack().adminJson<{ target: string }[]>(['audit', '--json', '--action', 'user.reset-password']);
    assert.equal(audit[0]?.target, email);
  });

  it('changes emails: an administrator for another user, a user for themselves with a code; never to a taken one', async () => {
    const email = 'renamed@example.com';
    const u = await newUser('old-name@example.com', 'viewer');
    await newUser('taken@example.com', 'viewer');
    assertFails(await runBurrow(['admin', 'users', 'set-email', 'old-name@example.com', 'taken@example.com', '--home', stack().adminHome]), /cannot be used for an account/);
    assertOk(await runBurrow(['admin', 'users', 'set-email', 'old-name@example.com', email, '--home', stack().adminHome]));
    assertFails(await u.login('a', 'old-name@example.com', u.files.old, ['--no-totp']), /wrong email or password/i);
    assertOk(await u.login('a', email, u.files.old, ['--no-totp']));
    // A viewer without an authenticator proves the password alone.
    const self = await u.as('a', ['admin', 'email', 'mine@example.com', '--password-file', u.files.old, '--totp', '000000', '--json']);
    assertOk(self);
    assert.equal((JSON.parse(self.stdout) as { email: string }).email, 'mine@example.com');
    assertOk(await u.login('b', 'mine@example.com', u.files.old, ['--no-totp']));
    const audit = await stack().adminJson<{ target: string; result: string; detail: { from: string; to?: string; reason?: string } }[]>(['audit', '--json', '--action', 'user.email-change']);
    assert.deepEqual(audit.filter((e) => e.result === 'ok').map((e) => [e.detail.from, e.detail.to]).sort(), [['old-name@example.com', email], [email, 'mine@example.com']]);
    assert.deepEqual(audit.filter((e) => e.result === 'denied').map((e) => [e.detail.from, e.target, e.detail.reason]), [['old-name@example.com', 'taken@example.com', 'email-in-use']], 'the refused change is audited');
  });

  it('deletes a user: sign-in fails, the audit trail keeps the email, and the address is free again', async () => {
    const email = 'leaver@example.com';
    const u = await newUser(email, 'viewer');
    assertOk(await u.login('a', email, u.files.old, ['--no-totp']));
    assertFails(await runBurrow(['admin', 'users', 'delete', email, '--home', stack().adminHome]), /--yes/);
    assertOk(await runBurrow(['admin', 'users', 'delete', email, '--yes', '--home', stack().adminHome]));
    assertFails(await u.as('a', ['admin', 'nodes']), /sign in|revoked|log ?in|deleted|disabled/i);
    assertFails(await u.login('b', email, u.files.old, ['--no-totp']), /wrong email or password/i);
    const users = await stack().adminJson<{ email: string }[]>(['users', 'list', '--json']);
    assert.ok(!users.some((x) => x.email.startsWith(email)), JSON.stringify(users));
    assertFails(await runBurrow(['admin', 'users', 'show', email, '--home', stack().adminHome]), /no user/i);
    const created = await stack().adminJson<{ target: string }[]>(['audit', '--json', '--action', 'user.create']);
    assert.ok(created.some((e) => e.target === email), 'the account\'s earlier entries still name it');
    const deleted = await stack().adminJson<{ target: string }[]>(['audit', '--json', '--action', 'user.delete']);
    assert.equal(deleted[0]?.target, email);
    const signIns = await stack().adminJson<{ actorEmail?: string; actor: string; target: string }[]>(['audit', '--json', '--action', 'auth.login']);
    assert.ok(signIns.some((e) => e.target === email && e.actor.startsWith('usr_') && e.actorEmail === email), 'its own sign-ins still name it');
    await newUser(email, 'viewer');
    // Nobody deletes or disables themselves: the last administrator always remains.
    assertFails(await runBurrow(['admin', 'users', 'delete', ADMIN.email, '--yes', '--home', stack().adminHome]), /your own account/);
    assertFails(await runBurrow(['admin', 'users', 'disable', ADMIN.email, '--home', stack().adminHome]), /your own account/);
  });
});
