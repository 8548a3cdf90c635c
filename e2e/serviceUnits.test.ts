import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { burrowJson } from './harness/burrowCli.js';
import { freePort, sessionPortRange } from './harness/freePort.js';
import { burrowBin, repoRoot } from './harness/paths.js';
import { ProcessGroup } from './harness/processGroup.js';
import { makeTempDir } from './harness/tempDir.js';
import { waitFor } from './harness/waitFor.js';

const UNITS = ['burrow-server.service', 'burrow-node.service'];

/** `systemd-analyze verify` on unit files: its exit status and what it printed. */
function verify(files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('systemd-analyze', ['verify', ...files], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

// A unit file's ExecStart names /usr/local/bin/burrow, and systemd-analyze checks that the
// binary exists: the copies under test name this checkout's launcher instead.
async function copyUnit(dir: string, name: string, edit: (text: string) => string = (t) => t): Promise<string> {
  const text = await readFile(join(repoRoot, 'packaging', 'systemd', name), 'utf8');
  assert.match(text, /^ExecStart=\/usr\/local\/bin\/burrow /m);
  const path = join(dir, name);
  await writeFile(path, edit(text.replaceAll('/usr/local/bin/burrow', burrowBin)));
  return path;
}

// Issue 21, service units: the units in packaging/systemd pass systemd's own checks, and
// the server tells a Type=notify unit it is ready once its port listens.
describe('systemd units and readiness', () => {
  const procs = new ProcessGroup();
  let dir = '';
  let removeDir = async () => {};
  let receiver: ChildProcess | undefined;
  before(async () => {
    const tmp = await makeTempDir('burrow-e2e-units-');
    [dir, removeDir] = [tmp.path, tmp.remove];
  });
  after(async () => {
    await procs.stopAll();
    if (receiver && receiver.exitCode === null) {
      receiver.kill();
      await once(receiver, 'exit');
    }
    await removeDir();
  });

  it('pass systemd-analyze verify, which does refuse a unit with a mistake', async () => {
    const files = await Promise.all(UNITS.map((u) => copyUnit(dir, u)));
    const ok = await verify(files);
    assert.equal(ok.code, 0, ok.output);
    assert.equal(ok.output, '');
    const broken = await copyUnit(dir, 'burrow-server.service', (t) => t.replace('Type=notify', 'Type=notfiy'));
    const bad = await verify([join(dir, 'burrow-node.service'), broken]);
    assert.match(bad.output, /notfiy/);
  });

  it('are hardened: no privileges, a read-only system with the home writable, a private /tmp, no capabilities', async () => {
    for (const [unit, home] of [['burrow-server.service', '/var/lib/burrow'], ['burrow-node.service', '/var/lib/burrow-node']] as const) {
      const text = await readFile(join(repoRoot, 'packaging', 'systemd', unit), 'utf8');
      for (const line of ['User=burrow', 'NoNewPrivileges=yes', 'ProtectSystem=strict', `ReadWritePaths=${home}`, 'PrivateTmp=yes', 'CapabilityBoundingSet=', 'AmbientCapabilities=', 'ProtectHome=yes', 'PrivateDevices=yes']) {
        assert.match(text, new RegExp(`^${line.replaceAll('/', '\\/')}$`, 'm'), `${unit} lacks ${line}`);
      }
      assert.match(text, new RegExp(`^ExecStart=\\S+ (server start|node run) --home ${home}$`, 'm'));
      assert.match(text, /^Restart=(on-failure|always)$/m);
    }
  });

  it('burrow server start sends READY=1 to NOTIFY_SOCKET once its port answers', async () => {
    const socket = join(dir, 'notify.sock');
    // A stand-in for systemd's notification socket (Node has no unix datagram sockets):
    // prints each datagram as one line. Receiving without room for ancillary data closes
    // the descriptor systemd-notify passes with BARRIER=1, as systemd does.
    receiver = spawn('python3', ['-u', '-c', [
      'import socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      `s.bind(${JSON.stringify(socket)})`,
      'print("LISTENING", flush=True)',
      'while True:',
      '    print(s.recv(4096).decode().replace("\\n", " "), flush=True)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const received: string[] = [];
    receiver.stdout?.setEncoding('utf8').on('data', (d: string) => received.push(...d.split('\n').filter(Boolean)));
    await waitFor('the notification socket', () => existsSync(socket) && received.includes('LISTENING'));

    const listen = `127.0.0.1:${await freePort()}`;
    const home = join(dir, 'server');
    const init = await burrowJson<{ url: string; fingerprint: string }>(['server', 'init', '--home', home, '--listen', listen, '--session-ports', sessionPortRange(10).join('-')]);
    const server = procs.spawn('server', ['server', 'start', '--home', home], join(dir, 'server.log'), { env: { NOTIFY_SOCKET: socket } });
    const ready = await waitFor('READY=1 on the notification socket', () => {
      if (server.child.exitCode !== null) throw new Error(`the server exited with ${server.child.exitCode}`);
      return received.find((m) => m.split(' ').includes('READY=1'));
    }, { timeoutMs: 30_000, stopOnError: true });
    assert.ok(ready);
    const health = await requestJson<{ ok: boolean }>(new URL('/healthz', init.url).toString(), { method: 'GET', pin: init.fingerprint, timeoutMs: 5_000 });
    assert.equal(health.ok, true);
  });
});
