import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import { getBody } from './harness/httpGet.js';
import { ADMIN } from './harness/serverStack.js';
import { ShellStack, type StackNode } from './harness/shellStack.js';

/** The one-sentence CLI error of a failed command. */
function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  const text = r.stderr.trim();
  assert.equal(text.split('\n').length, 1, `one line expected: ${text}`);
  assert.match(text, pattern);
  assert.doesNotMatch(text, /unexpected error/);
}

// Issue 17, items 6 and 7: what the CLI and a session port say, read as a user reads them.
describe('output and errors a user reads (real server and node)', () => {
  let stack: ShellStack;
  let m1: StackNode;
  before(async () => {
    stack = await ShellStack.start();
    m1 = await stack.addNode('m1');
    await m1.start();
  });
  after(async () => {
    await stack?.close();
  });

  it('prints a job\'s output under its node line, each line once, with nothing glued to the next node', async () => {
    const run = await stack.cli(['admin', 'job', 'run', '--node', 'm1', '--wait', '--', 'sh', '-c', 'echo one; echo two; echo warn >&2']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'm1: ok (exit 0)\n  | one\n  | two\n  ! warn\n');
    const id = (JSON.parse((await stack.cli(['admin', 'job', 'list', '--json'])).stdout) as { id: string }[])[0]?.id as string;
    const show = await stack.cli(['admin', 'job', 'show', id]);
    assert.equal(show.stdout, run.stdout);
  });

  it('names a missing file to push, and a public key given to --sign, in one sentence', async () => {
    assertFails(await stack.cli(['admin', 'job', 'push', './no-such-file', '--to', '/tmp/x', '--node', 'm1']), /Cannot read the file \.\/no-such-file: there is no such file\./);
    const keys = generateKeyPairSync('ed25519');
    const pub = join(stack.dir, 'pub.pem');
    await writeFile(pub, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    const file = join(stack.dir, 'fw.bin');
    await writeFile(file, 'fw');
    assertFails(await stack.cli(['admin', 'job', 'update', file, '--install', 'true', '--sign', pub, '--node', 'm1']), /pub\.pem holds a public key; --sign takes the ed25519 private key/);
  });

  it('says what a group that cannot be deleted still holds, in correct English', async () => {
    await stack.admin(['groups', 'create', 'acme']);
    await stack.admin(['groups', 'create', 'site1', '--parent', 'acme']);
    const r = await stack.cli(['admin', 'groups', 'delete', 'acme']);
    assertFails(r, /Group acme is not empty: it holds 1 subgroup; move or delete them first\./);
  });

  it('tells a browser opening a session link a second time that the link was used, and how to get a new one', async () => {
    const s = JSON.parse((await stack.cli(['admin', 'session', 'open', 'm1', '--json'])).stdout) as { url: string };
    const first = await getBody(s.url, stack.pin);
    assert.equal(first.status, 303, `${s.url} ${first.body.toString()}`);
    const again = await getBody(s.url, stack.pin);
    assert.equal(again.status, 403);
    assert.match(again.body.toString(), /already used/);
    assert.match(again.body.toString(), /burrow admin session open/);
  });

  it('takes --home wherever it is typed', async () => {
    for (const args of [['admin', '--home', stack.adminHome, 'nodes', '--json'], ['--home', stack.adminHome, 'admin', 'nodes', '--json'], ['admin', 'nodes', '--home', stack.adminHome, '--json']]) {
      const r = await runBurrow(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name), ['m1'], args.join(' '));
    }
    const status = await runBurrow(['node', '--home', m1.home, 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { connected: boolean }).connected, true);
  });

  it('opens a session of the type the node declared for the service (tcp://), without --type', async () => {
    // The agent's reachability probe connects and hangs up at once: a reset is no failure here.
    const sshLike = net.createServer((s) => s.on('error', () => undefined).end('SSH-2.0-stand-in\r\n'));
    sshLike.listen(0, '127.0.0.1');
    await once(sshLike, 'listening');
    try {
      const port = (sshLike.address() as net.AddressInfo).port;
      const node = await stack.enroll('m2', await stack.enrollToken({ autoApprove: true }), { services: { ssh: `tcp://127.0.0.1:${port}`, webui: `http://127.0.0.1:${port}` } });
      stack.runAgent(node);
      await stack.waitOnline(node.id, true, 30_000);
      const tcp = JSON.parse((await stack.cli(['admin', 'session', 'open', 'm2', '--service', 'ssh', '--json'])).stdout) as { type: string; url: string };
      assert.equal(tcp.type, 'tcp');
      assert.match(tcp.url, /^tcp\+tls:\/\//);
      const web = JSON.parse((await stack.cli(['admin', 'session', 'open', 'm2', '--json'])).stdout) as { type: string; url: string };
      assert.equal(web.type, 'http');
      assert.match(web.url, /burrow_token=/);
      const forced = JSON.parse((await stack.cli(['admin', 'session', 'open', 'm2', '--service', 'ssh', '--type', 'http', '--json'])).stdout) as { type: string };
      assert.equal(forced.type, 'http', 'an explicit --type still wins');
    } finally {
      sshLike.close();
    }
  });

  it('names nodes, groups and people in lists, and lists terminal recordings', async () => {
    const ran = await stack.cli(['ssh', 'm1', '--', 'echo', 'recorded']);
    assert.equal(ran.code, 0, ran.stderr);
    const recs = JSON.parse((await stack.cli(['admin', 'recording', 'list', '--node', 'm1', '--json'])).stdout) as { id: string; node: string; user: string }[];
    assert.equal(recs.length, 1);
    assert.deepEqual([recs[0]?.node, recs[0]?.user], ['m1', ADMIN.email]);
    assert.match(recs[0]?.id ?? '', /^rec_/);
    const table = await stack.cli(['admin', 'recording', 'list']);
    assert.match(table.stdout, new RegExp(`^${recs[0]?.id}\\s+m1\\s+${ADMIN.email}`, 'm'));
    assert.equal((JSON.parse((await stack.cli(['admin', 'recording', 'list', '--node', 'm2', '--json'])).stdout) as unknown[]).length, 0);

    const sessions = (await stack.cli(['admin', 'session', 'list'])).stdout;
    assert.match(sessions, /^ID\s+NODE\s+SERVICE\s+TYPE\s+USER\s/m);
    assert.match(sessions, new RegExp(`^ses_\\S+\\s+m1\\s+webui\\s+http\\s+${ADMIN.email}`, 'm'));

    const audit = (await stack.cli(['admin', 'audit', '--limit', '5'])).stdout;
    assert.match(audit, new RegExp(ADMIN.email));
    assert.doesNotMatch(audit, /usr_/);

    const site = await stack.enroll('m3', (await stack.adminJson<{ token: string }>(['enroll-token', 'create', '--group', 'site1'])).token, { services: { webui: '127.0.0.1:9' } });
    const nodes = (await stack.cli(['admin', 'nodes'])).stdout;
    assert.match(nodes, new RegExp(`^${site.id}\\s+m3\\s+\\S*site1\\s`, 'm'));
    assert.doesNotMatch(nodes, /grp_/);
    const shown = (await stack.cli(['admin', 'node', 'show', 'm3'])).stdout;
    assert.match(shown, /^group\s+root\/acme\/site1$/m);
  });
});
