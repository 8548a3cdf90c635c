import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../shared/sshKeys.js';
import { silentLogger } from '../../shared/log.js';
import { ShellServer } from './shellServer.js';

/** Runs `command` on a session of `client`; resolves with its output, rejects when the session is refused. */
function run(client: ssh2.Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      stream.on('data', (d: Buffer) => (out += d.toString()));
      stream.stderr.resume();
      stream.once('close', () => resolve(out));
    });
  });
}

/** A shell server behind a TCP port (each connection stands for one admitted `shell` channel), and a client signed in to it. */
async function connected(t: TestContext, approvedWhat?: string): Promise<ssh2.Client> {
  const node = generateEd25519();
  const server = generateEd25519();
  const shell = new ShellServer({ hostKey: () => node.private, trustedKey: server.public, log: silentLogger() });
  const listener = net.createServer((socket) => shell.handle(socket, approvedWhat));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.after(() => listener.close());
  const client = new ssh2.Client();
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({ host: '127.0.0.1', port: (listener.address() as net.AddressInfo).port, username: 'burrow', privateKey: server.private, hostVerifier: () => true });
  });
  t.after(() => client.end());
  return client;
}

describe('ShellServer', () => {
  it('serves one shell per channel: a second session on an approved channel is refused', async (t) => {
    const client = await connected(t);
    assert.equal(await run(client, 'echo one'), 'one\n');
    // A server that keeps the inner connection could otherwise run any number of shells under one approval.
    await assert.rejects(run(client, 'echo two'));
  });

  it('runs only the command the person on site approved on a channel opened under that approval', async (t) => {
    // A hostile server asks approval for "uname", then runs another command on the channel.
    await assert.rejects(run(await connected(t, 'run: uname'), 'echo pwned'));
    assert.equal(await run(await connected(t, 'run: echo approved'), 'echo approved'), 'approved\n');
  });
});
