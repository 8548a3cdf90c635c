import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { FakeClock } from '../shared/clock.js';
import { HandshakeGate } from './handshakeGate.js';
import { selfSignedCertificate, type CertPair } from './tlsCertificate.js';

/** A raw TCP client that never starts its handshake: it holds a slot until it closes or times out. Resolves once connected. */
async function silent(port: number, all: net.Socket[]): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  all.push(s);
  s.on('error', () => undefined);
  await once(s, 'connect');
  return s;
}

/** Resolves once `s` is closed (the server cut it). */
function closed(s: net.Socket): Promise<void> {
  return s.closed ? Promise.resolve() : once(s, 'close').then(() => undefined);
}

/** A TLS client; resolves once its handshake is done (it stays open). */
async function handshake(port: number, all: net.Socket[]): Promise<tls.TLSSocket> {
  const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  all.push(s);
  await once(s, 'secureConnect');
  return s;
}

describe('HandshakeGate', () => {
  let pair: CertPair;
  before(async () => {
    pair = await selfSignedCertificate(['localhost']);
  });

  /** A TLS server behind a gate of `max` on `clock`; `close()` ends it and every client. */
  async function gated(max: number, clock: FakeClock) {
    const shedAt: number[] = [];
    const gate = new HandshakeGate({ maxInFlight: max, timeoutMs: 10_000, clock, onShed: (_s, n) => shedAt.push(n) });
    const server = tls.createServer({ cert: pair.cert, key: pair.key });
    gate.attach(server);
    server.on('tlsClientError', (_e, s) => s.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const all: net.Socket[] = [];
    return {
      gate,
      shedAt,
      port: (server.address() as AddressInfo).port,
      all,
      async close() {
        for (const s of all) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('cuts a connection while the bound of handshakes is under way, and admits again once one finishes or leaves', async () => {
    const clock = new FakeClock(0);
    const g = await gated(2, clock);
    after(() => g.close());
    const [a] = [await silent(g.port, g.all), await silent(g.port, g.all)];
    await waitUntil(() => g.gate.inFlight === 2);
    // The third is cut before any TLS byte: the bound, not the crypto, answers it.
    const third = await silent(g.port, g.all);
    await closed(third);
    assert.equal(g.gate.shed, 1);
    assert.deepEqual(g.shedAt, [2]);
    a?.destroy();
    await waitUntil(() => g.gate.inFlight === 1);
    // A real handshake takes the free slot and gives it back once done.
    assert.equal((await handshake(g.port, g.all)).encrypted, true);
    await waitUntil(() => g.gate.inFlight === 1);
    const fourth = await handshake(g.port, g.all);
    assert.equal(fourth.encrypted, true);
    await waitUntil(() => g.gate.inFlight === 1);
    assert.equal(g.gate.shed, 1);
  });

  it('cuts a connection that has not finished its handshake in time, freeing its slot', async () => {
    const clock = new FakeClock(0);
    const g = await gated(1, clock);
    after(() => g.close());
    const idle = await silent(g.port, g.all);
    await waitUntil(() => g.gate.inFlight === 1);
    clock.advance(9_999);
    assert.equal(g.gate.inFlight, 1);
    clock.advance(1);
    await closed(idle);
    assert.equal(g.gate.inFlight, 0);
    assert.equal((await handshake(g.port, g.all)).encrypted, true);
    await waitUntil(() => g.gate.inFlight === 0);
    assert.equal(clock.pending, 0, 'a finished handshake leaves no timer behind');
  });

  it('refuses a bound that is not a positive integer', () => {
    assert.throws(() => new HandshakeGate({ maxInFlight: 0, timeoutMs: 1, clock: new FakeClock(0) }), /maxInFlight must be a positive integer/);
  });
});

/** Waits for the server side of a loopback exchange (no clock involved: socket events only). */
async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}
