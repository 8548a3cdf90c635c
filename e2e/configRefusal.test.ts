import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { burrowJson, runBurrow } from './harness/burrowCli.js';
import { freePort } from './harness/freePort.js';
import { makeTempDir } from './harness/tempDir.js';

/** Edits a config file as a user would with an editor: parse, change, write back. */
async function edit(path: string, change: (c: Record<string, unknown>) => void): Promise<string> {
  const c = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  change(c);
  const text = `${JSON.stringify(c, null, 2)}\n`;
  await writeFile(path, text);
  return text;
}

/** Asserts that a command was refused with one line on stderr naming the key and the file. */
function assertRefused(r: { code: number; stderr: string; stdout: string }, key: string, file: string): void {
  assert.notEqual(r.code, 0, `exit status, stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
  assert.ok(lines[0]?.includes(file), `names ${file}: ${r.stderr}`);
  assert.ok(lines[0]?.includes(`"${key}"`), `names "${key}": ${r.stderr}`);
  assert.equal(r.stdout, '');
}

/** Bad edits a user could make, each with the key it breaks. */
const SERVER_EDITS: [string, (c: Record<string, unknown>) => void][] = [
  ['sessionPorts', (c) => { c.sessionPorts = [65000, 80]; }],
  ['logLevel', (c) => { c.logLevel = 'chatty'; }],
  ['publicUrl', (c) => { c.publicUrl = 'ftp://x'; }],
  ['sesionPorts', (c) => { c.sesionPorts = [40000, 41000]; }],
  ['proxyProtocolFrom.0', (c) => { c.proxyProtocolFrom = ['10.0.0.0/33']; }],
];

describe('server.json and node.json are checked strictly at start (real CLI)', () => {
  let tmp: { path: string; remove: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir('burrow-config-');
  });
  after(async () => {
    await tmp?.remove();
  });

  it('burrow server start refuses a bad server.json with one sentence naming key and file, and changes nothing', async () => {
    const home = join(tmp.path, 'server');
    const password = join(tmp.path, 'admin.pw');
    await writeFile(password, 'correct horse battery staple 42', { mode: 0o600 });
    await burrowJson(['server', 'init', '--home', home, '--listen', `127.0.0.1:${await freePort()}`, '--admin-email', 'admin@example.com', '--admin-password-file', password]);
    const file = join(home, 'server.json');
    const original = await readFile(file, 'utf8');
    const listing = (await readdir(home)).sort();
    for (const [key, change] of SERVER_EDITS) {
      await writeFile(file, original);
      const text = await edit(file, change);
      const r = await runBurrow(['server', 'start', '--home', home]);
      assertRefused(r, key, file);
      assert.equal(await readFile(file, 'utf8'), text, 'server.json is left as the user wrote it');
      assert.deepEqual((await readdir(home)).sort(), listing, 'no file appears in the home');
    }
    await writeFile(file, original);
    const env = await runBurrow(['server', 'start', '--home', home], { env: { BURROW_LOG_LEVEL: 'chatty' } });
    assert.notEqual(env.code, 0);
    assert.match(env.stderr.trim(), /^burrow: The environment variable BURROW_LOG_LEVEL is invalid for "logLevel" in .*server\.json: [^\n]+\.$/);
    const flag = await runBurrow(['server', 'start', '--home', home, '--proxy-protocol-from', '10.0.0.10/32,balancer.example.com']);
    assert.notEqual(flag.code, 0);
    assert.match(flag.stderr.trim(), /^burrow: --proxy-protocol-from: expected an address block such as 10\.0\.0\.0\/8[^\n]*\.$/);
  });

  it('burrow node run and every node command that reads node.json refuse a bad one the same way', async () => {
    const home = join(tmp.path, 'node');
    await import('node:fs/promises').then((fs) => fs.mkdir(home, { mode: 0o700 }));
    const file = join(home, 'node.json');
    // What `burrow node enroll` writes, minus the defaults it fills in.
    const enrolled = {
      serverUrl: `https://127.0.0.1:${await freePort()}`,
      nodeId: 'nod_config',
      name: 'gw-config',
      tlsPin: 'sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      sshHostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOaXhcIuNR2fWXA7rD0vE0MnYAPkMPXrEbLBU8xPwFzV',
      services: { webui: '127.0.0.1:80' },
    };
    const original = `${JSON.stringify(enrolled, null, 2)}\n`;
    await writeFile(file, original, { mode: 0o600 });
    const ok = await runBurrow(['node', 'status', '--home', home]);
    assert.equal(ok.code, 0, `a valid node.json reads: ${ok.stderr}`);
    const edits: [string, (c: Record<string, unknown>) => void][] = [
      ['logLevel', (c) => { c.logLevel = 'chatty'; }],
      ['serverUrl', (c) => { c.serverUrl = 'ftp://x'; }],
      ['keepaliveInterval', (c) => { c.keepaliveInterval = 5000; }],
      ['shell.enable', (c) => { c.shell = { enable: false }; }],
    ];
    const commands = [['node', 'run'], ['node', 'status'], ['node', 'mode', 'always-on'], ['node', 'proxy', 'show'], ['node', 'shell', 'on']];
    for (const [key, change] of edits) {
      await writeFile(file, original);
      const text = await edit(file, change);
      for (const command of commands) {
        const r = await runBurrow([...command, '--home', home]);
        assertRefused(r, key, file);
      }
      assert.equal(await readFile(file, 'utf8'), text, 'node.json is left as the user wrote it');
      assert.deepEqual((await readdir(home)).sort(), ['node.json'], 'no key, state or other file appears');
    }
  });
});
