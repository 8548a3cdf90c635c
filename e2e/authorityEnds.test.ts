import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import type { SessionView } from '../src/shared/protocol.js';
import { probePort } from './harness/freePort.js';
import { holdEvents, holdTerminal } from './harness/heldConnections.js';
import { ShellStack, type StackNode } from './harness/shellStack.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

/** The most a held connection may outlive the authority that allowed it. */
const LIMIT_MS = 5_000;
const LOOP = ['sh', '-c', 'while :; do echo tick; sleep 0.2; done'];

// Issue 19, item 2: a terminal and an event stream end within seconds when their
// user signs out, is disabled, loses the grant that allowed them, or their token is revoked.
describe('long-lived connections end with their authority (real processes)', () => {
  let stack: ShellStack;
  let n1: StackNode;
  before(async () => {
    stack = await ShellStack.start();
    n1 = await stack.addNode('n1');
    await n1.start();
  });
  after(async () => {
    await stack?.close();
  });

  /** An operator on the root group, authenticator enrolled, signed in to the CLI in a home of its own. */
  async function operator(name: string) {
    const email = `${name}@example.com`;
    const pw = join(stack.dir, `${name}.pw`);
    await writeFile(pw, 'a fine long passphrase 9', { mode: 0o600 });
    await stack.admin(['users', 'create', email, '--role', 'operator', '--group', 'root', '--password-file', pw]);
    const home = join(stack.dir, `home-${name}`);
    const as = (args: string[]) => runBurrow([...args, '--home', home]);
    const login = (extra: string[]) => as(['admin', 'login', '--server', stack.url, '--email', email, '--password-file', pw, '--fingerprint', stack.pin, ...extra]);
    assert.equal((await login(['--no-totp'])).code, 0);
    const { secret } = JSON.parse((await as(['admin', 'totp', 'setup', '--json'])).stdout) as { secret: string };
    const confirm = await as(['admin', 'totp', 'confirm', await totpCode(secret)]);
    assert.equal(confirm.code, 0, confirm.stderr);
    const creds = JSON.parse(await readFile(join(home, 'cli.json'), 'utf8')) as { token: string };
    return { email, home, as, token: creds.token };
  }

  /** A home whose CLI uses an API token of the user's instead of the sign-in's own. */
  async function withApiToken(u: Awaited<ReturnType<typeof operator>>) {
    const created = await u.as(['admin', 'tokens', 'create', 'automation', '--scope', 'operate', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const t = JSON.parse(created.stdout) as { id: string; token: string };
    const home = join(stack.dir, `home-${t.id}`);
    const creds = JSON.parse(await readFile(join(u.home, 'cli.json'), 'utf8')) as Record<string, unknown>;
    await mkdir(home, { mode: 0o700 });
    await writeFile(join(home, 'cli.json'), JSON.stringify({ ...creds, token: t.token }), { mode: 0o600 });
    return { id: t.id, home, token: t.token };
  }

  const cases: [string, string, (u: Awaited<ReturnType<typeof operator>>) => Promise<{ home: string; token: string; act: () => Promise<CliResult | string> }>][] = [
    ['the user logs out', 'logout', async (u) => ({ home: u.home, token: u.token, act: () => u.as(['admin', 'logout']) })],
    ['the account is disabled', 'user-disabled', async (u) => ({ home: u.home, token: u.token, act: () => stack.admin(['users', 'disable', u.email]) })],
    ['the account is deleted', 'user-deleted', async (u) => ({ home: u.home, token: u.token, act: () => stack.admin(['users', 'delete', u.email, '--yes']) })],
    ['an administrator resets the password', 'password-reset', async (u) => ({ home: u.home, token: u.token, act: () => stack.admin(['users', 'reset-password', u.email]) })],
    ['the grant that allowed them is removed', 'grant-removed', async (u) => ({ home: u.home, token: u.token, act: () => stack.admin(['users', 'revoke-grant', u.email, '--group', 'root']) })],
    ['the token is revoked', 'token-revoked', async (u) => {
      const t = await withApiToken(u);
      return { home: t.home, token: t.token, act: () => u.as(['admin', 'tokens', 'revoke', t.id]) };
    }],
  ];

  cases.forEach(([what, reason, setup], i) => {
    it(`ends a burrow ssh terminal, an event stream and a WebUI session within 5 s when ${what}`, async () => {
      const u = await operator(`ops${i}`);
      const { home, token, act } = await setup(u);
      const opened = await runBurrow(['admin', 'session', 'open', n1.id, '--json', '--home', home]);
      assert.equal(opened.code, 0, opened.stderr);
      const session = JSON.parse(opened.stdout) as SessionView;
      assert.equal(await probePort(session.port), 'connected');
      const terminal = holdTerminal(home, n1.id, LOOP);
      const events = holdEvents(stack.url, token, stack.pin);
      try {
        await terminal.saw(/tick/);
        await events.saw(/event: ready/);
        const acted = Date.now();
        const done = await act();
        if (typeof done === 'object') assert.equal(done.code, 0, done.stderr);
        const bound = new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), LIMIT_MS + 10_000).unref());
        const [tEnd, eEnd] = await Promise.all([Promise.race([terminal.ended, bound]), Promise.race([events.ended, bound])]);
        assert.ok(tEnd - acted <= LIMIT_MS, `the terminal outlived ${what} by ${tEnd - acted} ms; stderr: ${terminal.stderr()}`);
        assert.ok(eEnd - acted <= LIMIT_MS, `the event stream outlived ${what} by ${eEnd - acted} ms`);
        await waitFor('the session port to close', async () => (await probePort(session.port)) !== 'connected', { timeoutMs: Math.max(1, acted + LIMIT_MS - Date.now()), intervalMs: 100 });
        assert.notEqual(await terminal.code, 0);
        assert.match(terminal.stderr(), /^burrow: Connection closed: .+\.\n$/);
        assert.match(events.text, new RegExp(`event: end\\ndata: \\{"reason":"${reason}"`));
        const audit = async (action: string) => (await stack.adminJson<{ actor: string; detail: Record<string, unknown> }[]>(['audit', '--json', '--action', action, '--limit', '50']))[0]?.detail;
        assert.deepEqual([(await audit('shell.close'))?.endedBy, (await audit('shell.close'))?.reason], ['authority', reason]);
        assert.equal((await audit('events.close'))?.reason, reason);
        const closed = await stack.adminJson<{ detail: Record<string, unknown> }[]>(['audit', '--json', '--action', 'session.close', '--limit', '50']);
        assert.equal(closed.find((e) => e.detail.sessionId === session.id)?.detail.reason, reason);
      } finally {
        terminal.close();
        events.close();
      }
    });
  });

  // Issue 19, item 6: a node enrolled (pending) under a taken name in another group made
  // the name resolve to nothing, for root admins too.
  it('resolves a node name past a namesake in another group, and says when it is ambiguous', async () => {
    await stack.admin(['groups', 'create', 'custb']);
    const { token } = await stack.adminJson<{ token: string }>(['enroll-token', 'create', '--group', 'custb', '--json']);
    const enrolled = await runBurrow(['node', 'enroll', stack.url, '--token', token, '--name', 'n1', '--service', 'webui=127.0.0.1:9', '--json', '--home', join(stack.dir, 'node-n1-custb')]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const namesake = JSON.parse(enrolled.stdout) as { nodeId: string; status: string };
    assert.equal(namesake.status, 'pending');
    const r = await stack.cli(['ssh', 'n1', '--', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    await stack.admin(['node', 'approve', namesake.nodeId]);
    const ambiguous = await stack.cli(['ssh', 'n1', '--', 'true']);
    assert.notEqual(ambiguous.code, 0);
    assert.equal(ambiguous.stderr.trim().split('\n').length, 1, ambiguous.stderr);
    assert.match(ambiguous.stderr, new RegExp(`${n1.id}.*${namesake.nodeId}|${namesake.nodeId}.*${n1.id}`));
    assert.match(ambiguous.stderr, /group\/name/);
    const byPath = await stack.cli(['ssh', 'root/n1', '--', 'echo', 'hi']);
    assert.equal(byPath.code, 0, byPath.stderr);
    assert.equal(byPath.stdout, 'hi\n');
    const other = await stack.adminJson<{ id: string }>(['node', 'show', 'custb/n1', '--json']);
    assert.equal(other.id, namesake.nodeId);
  });
});
