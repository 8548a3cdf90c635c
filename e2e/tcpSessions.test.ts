import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { SessionView } from '../src/shared/protocol.js';
import { runBurrow } from './harness/burrowCli.js';
import { OpenSshd } from './harness/openSshd.js';
import { burrowBin } from './harness/paths.js';
import { SessionStack } from './harness/sessionStack.js';
import { waitFor } from './harness/waitFor.js';

/**
 * The node's plain TCP service: echoes, and counts the bytes that ever reached it (the
 * agent's reachability probe connects now and then, but sends nothing).
 */
const reached = { bytes: 0 };
const echo = net.createServer((s) => {
  s.on('data', (d: Buffer) => (reached.bytes += d.length));
  s.on('error', () => s.destroy());
  s.pipe(s);
});
/** A node service that answers only once the client has finished sending (half-closed), as request/response tools over TCP do. */
const sink = net.createServer({ allowHalfOpen: true }, (s) => {
  let n = 0;
  s.on('data', (d: Buffer) => (n += d.length));
  s.on('error', () => s.destroy());
  s.on('end', () => s.end(`received ${n} bytes\n`));
});
let sshd: OpenSshd;
let stack: SessionStack;
const children: ChildProcess[] = [];

interface AuditRow {
  action: string;
  detail: Record<string, unknown>;
}

/** Writes `text` on a connection (plain or TLS) from 127.0.0.1 and collects what comes back until the port hangs up. */
function exchange(port: number, text: string, secure: boolean): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const c = secure
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => c.write(text))
      : net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' }, () => c.write(text));
    c.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) c.end();
    });
    c.on('error', () => undefined);
    c.on('close', () => resolve(got));
  });
}

/** Sends `bytes` bytes from 127.0.0.1, half-closes, and collects the answer until the port hangs up. */
function sendThenHalfClose(port: number, bytes: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const c = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', allowHalfOpen: true }, () => c.end(Buffer.alloc(bytes, 0x61)));
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.on('error', () => undefined);
    c.on('close', () => resolve(got));
  });
}

/** Runs a process to its end, with `input` on its stdin if given, and gives its exit code and output. */
function run(cmd: string, args: string[], input?: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, BURROW_HOME: '' } });
    children.push(child);
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const openSessions = async (service: string) => (await stack.request<SessionView[]>('GET', '/v1/sessions')).body.filter((s) => s.service === service && s.state === 'open');
const audit = async (action: string) => (await stack.request<AuditRow[]>('GET', `/v1/audit?action=${action}`)).body;

before(async () => {
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const sinkPort = (sink.address() as net.AddressInfo).port;
  sshd = await OpenSshd.start();
  const echoPort = (echo.address() as net.AddressInfo).port;
  stack = await SessionStack.start({ services: { echo: `tcp://127.0.0.1:${echoPort}`, sink: `tcp://127.0.0.1:${sinkPort}`, ssh: `tcp://127.0.0.1:${sshd.port}` } });
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await stack?.close();
  await sshd?.stop();
  echo.close();
  sink.close();
});

describe('tcp sessions: clients prove themselves (burrow tcp)', () => {
  it("refuses a client from the opener's own address that has not proved itself, and the node's service receives nothing", async () => {
    const r = await stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName, service: 'echo', type: 'tcp' });
    assert.equal(r.status, 201);
    // The API call and these connections all come from 127.0.0.1, the address the session was opened from.
    assert.equal(await exchange(r.body.port, 'SSH-2.0-probe\r\n', false), '', 'plain TCP');
    assert.equal(await exchange(r.body.port, 'SSH-2.0-probe\r\n', true), '', 'TLS without a proof');
    assert.equal(await exchange(r.body.port, `burrow-tcp/1 ${'A'.repeat(43)}\n`, true), '', 'TLS with a guessed ticket');
    assert.equal(reached.bytes, 0, "the node's service received nothing");
    assert.equal(r.body.url, `tcp+tls://127.0.0.1:${r.body.port}`, 'the port speaks TLS');
    const denied = await waitFor('the refusals in the audit log', async () => (await audit('session.deny')).filter((a) => a.detail.sessionId === r.body.id).length > 0);
    assert.ok(denied);
    assert.equal((await stack.request('DELETE', `/v1/sessions/${r.body.id}`)).status, 204);
  });

  it('runs a command over OpenSSH with `burrow tcp --stdio` as its ProxyCommand and keeps its exit code', async () => {
    const proxy = `${burrowBin} tcp ${stack.nodeName} --service ssh --stdio --home ${stack.adminHome}`;
    const r = await run('ssh', [...sshd.sshOptions(), '-o', `ProxyCommand=${proxy}`, `${sshd.user}@${stack.nodeName}`, 'echo through-burrow; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'through-burrow\n');
    assert.ok((await audit('session.ticket')).length > 0, 'the ticket is audited');
    // The session `burrow tcp` opened for the connection closes with it.
    await waitFor('the ssh session to close', async () => (await openSessions('ssh')).length === 0);
  });

  it('relays each connection of a plain TCP client to `burrow tcp --listen`', async () => {
    const child = spawn(burrowBin, ['tcp', stack.nodeName, '--service', 'echo', '--listen', '127.0.0.1:0', '--home', stack.adminHome], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BURROW_HOME: '' } });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const port = Number(await waitFor('burrow tcp to listen', () => /Listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1], { timeoutMs: 30_000 }));
    assert.equal(await exchange(port, 'ping one\n', false), 'ping one\n');
    assert.equal(await exchange(port, 'ping two\n', false), 'ping two\n');
    assert.equal(reached.bytes, 'ping one\nping two\n'.length);
    assert.equal((await openSessions('echo')).length, 1);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null], out);
    assert.equal((await openSessions('echo')).length, 0, 'the session it opened is closed');
  });

  it('opens a bare, address-locked port only when asked, with a warning in the CLI and the audit entry', async () => {
    const r = await runBurrow(['admin', 'session', 'open', stack.nodeName, '--service', 'echo', '--type', 'tcp', '--bare', '--home', stack.adminHome]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Warning: a bare tcp session admits anyone who connects from your address .*burrow tcp\.\n$/);
    const port = Number(/tcp:\/\/127\.0\.0\.1:(\d+)/.exec(r.stdout)?.[1]);
    assert.ok(port > 0, r.stdout);
    assert.equal(await exchange(port, 'bare\n', false), 'bare\n');
    const opened = (await audit('session.open')).find((a) => a.detail.port === port);
    assert.equal(opened?.detail.bare, true);
    assert.match(String(opened?.detail.warning), /admits anyone who connects from your address/);
    const http = await runBurrow(['admin', 'session', 'open', stack.nodeName, '--service', 'echo', '--type', 'http', '--bare', '--home', stack.adminHome]);
    assert.notEqual(http.code, 0);
    assert.equal(http.stderr, 'burrow: Only a tcp session can be bare; add --type tcp.\n');
  });

  it("carries a client's half-close to the node's service and the service's answer back, bare and through `burrow tcp --stdio`", async () => {
    const bare = await runBurrow(['admin', 'session', 'open', stack.nodeName, '--service', 'sink', '--type', 'tcp', '--bare', '--home', stack.adminHome]);
    assert.equal(bare.code, 0, bare.stderr);
    const port = Number(/tcp:\/\/127\.0\.0\.1:(\d+)/.exec(bare.stdout)?.[1]);
    assert.equal(await sendThenHalfClose(port, 300_000), 'received 300000 bytes\n');
    const stdio = await run(burrowBin, ['tcp', stack.nodeName, '--service', 'sink', '--stdio', '--home', stack.adminHome], Buffer.alloc(300_000, 0x62));
    assert.equal(stdio.code, 0, stdio.stderr);
    assert.equal(stdio.stdout, 'received 300000 bytes\n');
  });

  it('explains itself in --help and refuses contradictory options in one sentence', async () => {
    const help = await runBurrow(['tcp', '--help']);
    assert.match(help.stdout, /--stdio/);
    assert.match(help.stdout, /ProxyCommand/);
    const both = await runBurrow(['tcp', stack.nodeName, '--service', 'echo', '--stdio', '--listen', '127.0.0.1:0', '--home', stack.adminHome]);
    assert.notEqual(both.code, 0);
    assert.equal(both.stderr, 'burrow: Choose --listen or --stdio, not both.\n');
  });
});
