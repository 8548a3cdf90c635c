import fc from 'fast-check';
import net from 'node:net';
import tls from 'node:tls';
import { sourceAddress, type ChaosContext } from './chaosContext.js';
import { pause, serverPort, serverRunning, sessionServes } from './probes.js';
import { FUZZ_SEED } from './sizes.js';
import { closeCodeWithin, openTunnelSocket } from './tunnelClient.js';

/** Sends `bytes` on a fresh TCP (or TLS) connection and closes it after the server has had a moment. */
function throwBytes(port: number, bytes: Uint8Array, o: { tls: boolean; localAddress: string }): Promise<void> {
  return new Promise((resolve) => {
    const raw = net.connect({ host: '127.0.0.1', port, localAddress: o.localAddress });
    const sock = o.tls ? tls.connect({ socket: raw, rejectUnauthorized: false }) : raw;
    const done = () => {
      sock.destroy();
      raw.destroy();
      resolve();
    };
    raw.on('error', done);
    sock.on('error', done);
    sock.once(o.tls ? 'secureConnect' : 'connect', () => sock.write(bytes));
    setTimeout(done, 150);
  });
}

/** The first flight of a real TLS client (its ClientHello), captured off a local listener. */
async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  const hello = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => { resolve(d); s.destroy(); })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, rejectUnauthorized: false });
  c.on('error', () => undefined);
  const data = await hello;
  c.destroy();
  server.close();
  return data;
}

/**
 * The tunnel entry under garbage: random bytes in place of TLS, truncated ClientHellos,
 * truncated WebSocket upgrades, random bytes after SSH's ident, oversized WebSocket frames
 * and a peer that idles before authenticating. The server must stay up, keep the live
 * session working and cut what exceeds its limits.
 */
export async function tunnelFuzz(ctx: ChaosContext): Promise<void> {
  const { stack, size, figures } = ctx;
  const port = serverPort(stack);
  const row = figures.row('tunnel entry');
  let n = 5_000;
  const hello = await captureClientHello();
  const runs = { seed: FUZZ_SEED, numRuns: size.tunnelCases };
  const kinds: [string, fc.IAsyncProperty<[Uint8Array]>][] = [
    ['random bytes', fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4_096 }), (b) => throwBytes(port, b, { tls: false, localAddress: sourceAddress(n++) }).then(() => true))],
    ['truncated ClientHello', fc.asyncProperty(fc.integer({ min: 1, max: hello.length - 1 }).map((k) => new Uint8Array(hello.subarray(0, k))), (b) => throwBytes(port, b, { tls: false, localAddress: sourceAddress(n++) }).then(() => true))],
    ['truncated upgrade', fc.asyncProperty(fc.integer({ min: 1, max: 200 }).map((k) => new Uint8Array(Buffer.from('GET /v1/tunnel HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n').subarray(0, k))), (b) => throwBytes(port, b, { tls: true, localAddress: sourceAddress(n++) }).then(() => true))],
  ];
  for (const [name, property] of kinds) {
    const d = await fc.check(property, runs);
    row.cases += d.numRuns;
    if (d.failed) figures.fail('tunnel entry', `${name}: ${String(d.errorInstance)}`);
  }
  // Random bytes after a WebSocket is open, as SSH would see them (ident, then garbage).
  const sshGarbage = fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 2_048 }), async (ident, b) => {
    const ws = await openTunnelSocket(stack.url, sourceAddress(n++));
    if (!ws) return true;
    ws.send(Buffer.concat([ident ? Buffer.from('SSH-2.0-chaos\r\n') : Buffer.alloc(0), Buffer.from(b)]));
    await pause(30);
    ws.terminate();
    return true;
  });
  const d = await fc.check(sshGarbage, runs);
  row.cases += d.numRuns;
  // A frame over the 1 MiB limit is refused with 1009 (message too big).
  for (let i = 0; i < 3; i++) {
    const ws = await openTunnelSocket(stack.url, sourceAddress(n++));
    if (!ws) continue;
    ws.send(Buffer.alloc(2 * 1024 * 1024 + i));
    const code = await closeCodeWithin(ws, 5_000);
    row.cases += 1;
    if (code === 1009) row.limitsHit += 1;
    else figures.fail('tunnel entry', `an oversized WebSocket frame got close code ${code}, not 1009`);
    ws.terminate();
  }
  // A peer that says nothing after the upgrade is cut at tunnelAuthTimeoutMs.
  const idle = await openTunnelSocket(stack.url, sourceAddress(n++));
  if (idle) {
    const code = await closeCodeWithin(idle, 10_000);
    row.cases += 1;
    if (code !== 'open') row.limitsHit += 1;
    else figures.fail('tunnel entry', 'an unauthenticated tunnel stayed open past the auth deadline');
    idle.terminate();
  }
  if (!serverRunning(stack)) {
    row.crashes += 1;
    figures.fail('tunnel entry', 'the server died');
    return;
  }
  figures.check('tunnel entry', await sessionServes(ctx.session), 'the live session stopped serving after tunnel fuzzing');
}
