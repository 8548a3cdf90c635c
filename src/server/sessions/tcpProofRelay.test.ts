import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { selfSignedCertificate } from '../tlsCertificate.js';
import { PROOF_OK, PROOF_PREFIX } from '../../shared/tcpSessionProof.js';
import { TcpTickets } from './tcpProof.js';
import { TcpProofRelay } from './tcpProofRelay.js';

/** A fake clock that counts the timers set on it, so a test can wait until the relay armed one. */
class CountingClock extends FakeClock {
  armed = 0;
  override setTimeout(fn: () => void, ms: number) {
    this.armed += 1;
    return super.setTimeout(fn, ms);
  }
}

/** Resolves once `cond` holds, checking after each turn of the event loop. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setImmediate(resolve));
}

const clock = new CountingClock();
const tickets = new TcpTickets(clock);
const denied: string[] = [];
let upstreams = 0;
let relay: TcpProofRelay;
let port = 0;

/** An echoing stand-in for the node's service: a duplex whose writes come back. */
function echoUpstream(): Promise<Duplex> {
  upstreams += 1;
  return Promise.resolve(new PassThrough());
}

/** Connects over TLS, writes `first`, and collects what comes back until the port hangs up or `want` bytes arrived. */
function exchange(first: string, want = Infinity, afterConnect?: (s: tls.TLSSocket) => void): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      if (first) s.write(first);
      afterConnect?.(s);
    });
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= want) s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
  });
}

before(async () => {
  const { cert, key } = await selfSignedCertificate(['localhost']);
  relay = new TcpProofRelay({ tlsOptions: { cert, key }, clock, tickets, openUpstream: echoUpstream, onDenied: (_ip, reason) => denied.push(reason), onActivity: () => undefined, log: silentLogger() });
  relay.server.listen(0, '127.0.0.1');
  await once(relay.server, 'listening');
  port = (relay.server.address() as AddressInfo).port;
});

after(async () => {
  await relay.close();
});

describe('TcpProofRelay', () => {
  it('relays a connection that proves itself with a ticket, after answering ok', async () => {
    const { ticket } = tickets.issue();
    const got = await exchange(`${PROOF_PREFIX}${ticket}\nhello`, PROOF_OK.length + 5);
    assert.equal(got, `${PROOF_OK}hello`);
    assert.equal(upstreams, 1);
  });

  it('refuses, without reaching the node, a client from the same address that has not proved itself', async () => {
    upstreams = 0;
    denied.length = 0;
    // The client an address lock would let in: it talks plain SSH straight away.
    assert.equal(await exchange('SSH-2.0-OpenSSH_9.2\r\n'), '');
    assert.equal(await exchange(`${PROOF_PREFIX}${'A'.repeat(43)}\n`), '', 'a guessed ticket');
    const { ticket } = tickets.issue();
    assert.equal(await exchange(`${PROOF_PREFIX}${ticket}\n`, PROOF_OK.length), PROOF_OK);
    assert.equal(await exchange(`${PROOF_PREFIX}${ticket}\n`), '', 'a replayed ticket');
    // Not speaking TLS at all.
    const plain = net.connect(port, '127.0.0.1');
    plain.on('error', () => undefined);
    plain.write(`${PROOF_PREFIX}${tickets.issue().ticket}\n`);
    await once(plain, 'close');
    assert.equal(upstreams, 1, 'only the proved connection opened a channel to the node');
    // README promises every one of these is audited: the client that never spoke TLS too.
    assert.deepEqual(denied, ['no proof', 'ticket invalid, spent or expired', 'ticket invalid, spent or expired', 'TLS handshake failed']);
  });

  it('cuts off a client that stays silent after the handshake when the clock passes the deadline', async () => {
    upstreams = 0;
    denied.length = 0;
    // Armed at accept (handshake) and again once the handshake is done (proof line).
    const armed = clock.armed;
    const got = exchange('', Infinity, () => void until(() => clock.armed >= armed + 2).then(() => clock.advance(10_000)));
    assert.equal(await got, '');
    assert.equal(upstreams, 0);
    assert.deepEqual(denied, ['proof timed out']);
  });

  it('cuts off a client stuck before its TLS hello when the clock passes the deadline', async () => {
    denied.length = 0;
    const accepted = once(relay.server, 'connection');
    const stuck = net.connect(port, '127.0.0.1');
    stuck.on('error', () => undefined);
    await accepted;
    clock.advance(10_000);
    await once(stuck, 'close');
    assert.deepEqual(denied, ['TLS handshake timed out']);
  });
});
