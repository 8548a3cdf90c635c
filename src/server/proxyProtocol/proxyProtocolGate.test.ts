import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { clientAddress } from '../clientAddress.js';
import { ConnectionCap } from '../connectionCap.js';
import { PROXY_HEADER_TIMEOUT_MS, ProxyProtocol } from './proxyProtocolGate.js';
import { TrustedBalancers } from './trustedBalancers.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v2Proxy(ip: number[], port: number): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(ip).copy(body, 0);
  Buffer.from([10, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(443, 10);
  return Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0, 12]), body]);
}
const V2_LOCAL = Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0, 0])]);

/** Resolves once `condition` holds, checking after each turn of the event loop (no timing involved). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
}

/** A plain TCP server behind the gate that reports each admitted connection's client address and first bytes. */
async function echoServer(from: string[], o: { watchUnlisted?: boolean } = {}) {
  const clock = new FakeClock();
  const seen: Array<{ client: { ip: string; port: number }; data: Promise<string> }> = [];
  const server = net.createServer((s: Socket) => {
    s.pause();
    const data = new Promise<string>((resolve) => {
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString('latin1')));
      s.on('end', () => resolve(text));
      s.on('close', () => resolve(text));
    });
    seen.push({ client: clientAddress(s), data });
    setImmediate(() => s.resume());
  });
  const gate = new ProxyProtocol({ balancers: new TrustedBalancers(from), clock, log: silentLogger() }).attach(server, o);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { clock, seen, server, gate, port, close: () => { gate.close(); server.close(); } };
}

/** Connects from `localAddress`, writes `chunks` one by one, ends, and resolves when the server closes the connection. */
function send(port: number, localAddress: string, chunks: Buffer[], end = true): { socket: Socket; closed: Promise<void> } {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  socket.once('connect', async () => {
    for (const c of chunks) {
      socket.write(c);
      // Apart, so that they usually arrive as separate reads; the result must be the same if they do not.
      await new Promise((r) => setTimeout(r, 5));
    }
    if (end) socket.end();
  });
  return { socket, closed: new Promise((r) => socket.once('close', () => r())) };
}

test('a listed balancer\'s v2 header names the client; the bytes after it reach the server intact, even split', async () => {
  const s = await echoServer(['127.0.0.1/32']);
  const h = v2Proxy([192, 0, 2, 7], 51000);
  await send(s.port, '127.0.0.1', [h.subarray(0, 5), h.subarray(5, 20), Buffer.concat([h.subarray(20), Buffer.from('hello')]), Buffer.from(' world')]).closed;
  assert.equal(s.seen.length, 1);
  assert.deepEqual(s.seen[0]!.client, { ip: '192.0.2.7', port: 51000 });
  assert.equal(await s.seen[0]!.data, 'hello world');
  s.close();
});

test('a v1 text header is accepted too', async () => {
  const s = await echoServer(['127.0.0.0/8']);
  await send(s.port, '127.0.0.1', [Buffer.from('PROXY TCP4 198.51.100.4 10.0.0.1 4000 443\r\nabc')]).closed;
  assert.deepEqual(s.seen[0]!.client, { ip: '198.51.100.4', port: 4000 });
  assert.equal(await s.seen[0]!.data, 'abc');
  s.close();
});

test('LOCAL (a health check) is admitted as the balancer itself', async () => {
  const s = await echoServer(['127.0.0.1']);
  await send(s.port, '127.0.0.1', [Buffer.concat([V2_LOCAL, Buffer.from('ping')])]).closed;
  assert.equal(s.seen[0]!.client.ip, '127.0.0.1');
  assert.equal(await s.seen[0]!.data, 'ping');
  s.close();
});

test('a listed balancer without a valid header is refused before the server sees the connection', async () => {
  const s = await echoServer(['127.0.0.1/32']);
  await send(s.port, '127.0.0.1', [Buffer.from('GET / HTTP/1.1\r\n\r\n')], false).closed;
  await send(s.port, '127.0.0.1', [Buffer.concat([SIG, Buffer.from([0x21, 0x12, 0, 12]), Buffer.alloc(12)])], false).closed;
  assert.equal(s.seen.length, 0);
  s.close();
});

test('a header that never completes is cut when its time is up (injected clock)', async () => {
  const s = await echoServer(['127.0.0.1/32']);
  const c = send(s.port, '127.0.0.1', [v2Proxy([192, 0, 2, 7], 1).subarray(0, 10)], false);
  let closed = false;
  void c.closed.then(() => (closed = true));
  await until(() => s.clock.pending > 0);
  s.clock.advance(PROXY_HEADER_TIMEOUT_MS - 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(closed, false);
  s.clock.advance(1);
  await c.closed;
  assert.equal(s.seen.length, 0);
  s.close();
});

test('an unlisted address is taken at its socket\'s word, and a PROXY header from it is refused', async () => {
  const s = await echoServer(['127.0.0.10/32'], { watchUnlisted: true });
  await send(s.port, '127.0.0.1', [Buffer.from('plain')]).closed;
  assert.equal(s.seen[0]!.client.ip, '127.0.0.1');
  assert.equal(await s.seen[0]!.data, 'plain');
  await send(s.port, '127.0.0.1', [v2Proxy([192, 0, 2, 7], 1), Buffer.from('after')], false).closed;
  await send(s.port, '127.0.0.1', [Buffer.from('PROX'), Buffer.from('Y TCP4 1.2.3.4 5.6.7.8 1 2\r\n')], false).closed;
  assert.equal(s.seen.length, 3);
  assert.equal(await s.seen[1]!.data, '');
  assert.equal(await s.seen[2]!.data, '');
  s.close();
});

test('with no balancer listed the server is left exactly as it was', async () => {
  const server = net.createServer();
  const before = server.listeners('connection');
  const gate = new ProxyProtocol({ balancers: new TrustedBalancers([]), clock: new FakeClock(), log: silentLogger() }).attach(server);
  assert.deepEqual(server.listeners('connection'), before);
  gate.close();
});

test('close() cuts connections still waiting for their header', async () => {
  const s = await echoServer(['127.0.0.1/32']);
  const c = send(s.port, '127.0.0.1', [SIG.subarray(0, 3)], false);
  await until(() => s.clock.pending > 0);
  s.close();
  await c.closed;
});

test('behind TLS: the header comes before the ClientHello, and the TLS socket reports the forwarded client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-tls-'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(join(dir, 'k.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  execFileSync('openssl', ['req', '-x509', '-key', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=t']);
  const clock = new FakeClock();
  const clients: Array<{ ip: string; port: number }> = [];
  const server = tls.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (s) => {
    clients.push(clientAddress(s));
    s.end('hi');
  });
  server.on('tlsClientError', (_e, s) => s.destroy());
  const gate = new ProxyProtocol({ balancers: new TrustedBalancers(['127.0.0.1/32']), clock, log: silentLogger() }).attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const viaBalancer = (localAddress: string, header: Buffer) => new Promise<string>((resolve) => {
    const raw = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      raw.cork();
      raw.write(header);
      const t = tls.connect({ socket: raw, rejectUnauthorized: false });
      process.nextTick(() => raw.uncork());
      let got = '';
      t.on('data', (d: Buffer) => (got += d.toString()));
      t.on('error', () => resolve(`error ${got}`));
      t.on('close', () => resolve(got));
    });
  });
  assert.equal(await viaBalancer('127.0.0.1', v2Proxy([203, 0, 113, 9], 6000)), 'hi');
  assert.deepEqual(clients, [{ ip: '203.0.113.9', port: 6000 }]);
  // The same forged header from an address that is not listed never gets a TLS connection.
  assert.match(await viaBalancer('127.0.0.2', v2Proxy([203, 0, 113, 9], 6000)), /^error/);
  assert.equal(clients.length, 1);
  gate.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a connection cap behind the gate counts each forwarded client, not the balancer', async () => {
  const server = net.createServer((s) => s.write('hi'));
  const capped: string[] = [];
  new ConnectionCap(1, (ip) => capped.push(ip)).attach(server);
  const gate = new ProxyProtocol({ balancers: new TrustedBalancers(['127.0.0.1/32']), clock: new FakeClock(), log: silentLogger() }).attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const open: Socket[] = [];
  const knock = (header: Buffer) => new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(header));
    open.push(s);
    s.on('error', () => undefined);
    s.once('data', () => resolve(true));
    s.once('close', () => resolve(false));
  });
  try {
    assert.equal(await knock(v2Proxy([192, 0, 2, 1], 1000)), true);
    assert.equal(await knock(v2Proxy([192, 0, 2, 2], 1000)), true);
    assert.equal(await knock(v2Proxy([192, 0, 2, 1], 1001)), false);
    assert.deepEqual(capped, ['192.0.2.1']);
  } finally {
    for (const s of open) s.destroy();
    gate.close();
    server.close();
  }
});
