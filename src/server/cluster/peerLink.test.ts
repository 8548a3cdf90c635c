import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { FakeClock, type TimerHandle } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/log.js';
import { pinOfPem } from '../../shared/tlsPin.js';
import { ServerMetrics } from '../metrics/serverMetrics.js';
import type { AuditEntry } from '../store/auditStore.js';
import { startInProcessNode, type InProcessNode } from '../testing/inProcessNode.js';
import { MtlsPeerDialer, PEER_CONNECT_TIMEOUT_MS, PEER_UPGRADE_TIMEOUT_MS } from './mtlsPeerDialer.js';
import { newPeerKeyPair, type PeerCredentials } from './peerCredentials.js';
import { PeerLinkServer } from './peerLinkServer.js';

const MiB = 1024 * 1024;
const origin = { ip: '192.0.2.10', port: 50123 };

async function credentials(): Promise<PeerCredentials> {
  const pair = await newPeerKeyPair();
  return { ...pair, pin: pinOfPem(pair.cert) };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What `s` sends until its end; unlike `for await`, this leaves the writable side open (a half-close). */
function readAll(s: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BurrowError, String(err));
    return `${err.code}: ${err.message}`;
  }
  assert.fail('expected a rejection');
}

/** A local TCP service; `connections` yields each accepted socket. */
async function tcpService(onConnection: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

/** A fake clock that says when a timer of a given length is set (the dialer's upgrade deadline starts only after the handshake). */
class WatchedClock extends FakeClock {
  private watchers: Array<{ ms: number; resolve: () => void }> = [];

  timerSet(ms: number): Promise<void> {
    return new Promise((resolve) => this.watchers.push({ ms, resolve }));
  }

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const h = super.setTimeout(fn, ms);
    for (const w of this.watchers.filter((x) => x.ms === ms)) w.resolve();
    return h;
  }
}

describe('peer link (mutual TLS on loopback, a real node connection behind it)', () => {
  const clock = new WatchedClock(1_000_000);
  const log = silentLogger();
  const audits: AuditEntry[] = [];
  const metrics = new ServerMetrics();
  let relayClosed: () => void = () => undefined;
  const observer = {
    peerRelayOpened: () => metrics.peerRelayOpened(),
    peerRelayedBytes: (d: 'up' | 'down', n: number) => metrics.peerRelayedBytes(d, n),
    peerRelayClosed: () => {
      metrics.peerRelayClosed();
      relayClosed();
    },
  };
  const downstream = randomBytes(10 * MiB);
  const upstream = randomBytes(10 * MiB);
  let receivedUpstream: Promise<string> = Promise.resolve('');
  let held: net.Socket[] = [];
  let heldArrived: () => void = () => undefined;
  let creds: PeerCredentials;
  let node: InProcessNode;
  let services: net.Server[];
  let server: PeerLinkServer;
  let dialer: MtlsPeerDialer;
  let url = '';

  before(async () => {
    creds = await credentials();
    const bulk = await tcpService((s) => {
      receivedUpstream = readAll(s).then(sha);
      s.end(downstream);
    });
    const hold = await tcpService((s) => {
      held.push(s);
      s.on('error', () => undefined);
      s.resume();
      heldArrived();
    });
    // Answers only once the client has finished sending: the digest of all it got, then 1 MiB.
    const answer = net.createServer({ allowHalfOpen: true }, (s) => {
      void readAll(s).then((got) => s.end(Buffer.concat([Buffer.from(sha(got)), downstream.subarray(0, MiB)])));
    });
    answer.listen(0, '127.0.0.1');
    await once(answer, 'listening');
    services = [bulk, hold, answer];
    node = await startInProcessNode('n1', { bulk: portOf(bulk), hold: portOf(hold), answer: portOf(answer) }, ['bulk', 'hold', 'answer', 'refusing']);
    server = new PeerLinkServer({ credentials: creds, localNode: (id) => (id === 'n1' ? node.conn : undefined), clock, log, audit: (e) => (audits.push(e), Promise.resolve()), observer });
    await server.listen('127.0.0.1:0');
    url = `https://127.0.0.1:${server.port}`;
    dialer = new MtlsPeerDialer({ credentials: creds, clock });
  });

  after(async () => {
    await dialer.close();
    await server.close();
    await node.disconnect();
    for (const s of services) s.close();
  });

  it('carries 10 MiB each way byte for byte, half-closes, and counts the relay', async () => {
    const closed = new Promise<void>((resolve) => (relayClosed = resolve));
    const stream = await dialer.openService(url, 'n1', 'bulk', origin);
    // The node's side finishes first; ours is still open and sends all it has after that.
    const down = readAll(stream);
    stream.write(upstream.subarray(0, MiB));
    assert.equal(sha(await down), sha(downstream));
    stream.end(upstream.subarray(MiB));
    assert.equal(await receivedUpstream, sha(upstream));
    await closed;
    assert.equal(server.openRelays, 0);
    const text = await metrics.scrape();
    const bytes = (direction: string) => Number(new RegExp(`burrow_peer_relayed_bytes_total\\{direction="${direction}"\\} (\\d+)`).exec(text)?.[1]);
    assert.equal(bytes('up'), 10 * MiB);
    assert.equal(bytes('down'), 10 * MiB);
    assert.match(text, /burrow_peer_relays_open 0/);
  });

  it('carries a half-close from the dialing side: the node still answers after it', async () => {
    const stream = await dialer.openService(url, 'n1', 'answer', origin);
    const reply = readAll(stream);
    stream.end(upstream);
    assert.deepEqual(await reply, Buffer.concat([Buffer.from(sha(upstream)), downstream.subarray(0, MiB)]));
  });

  it('hands the forwarded origin to the node', async () => {
    const arrived = new Promise<void>((resolve) => (heldArrived = resolve));
    const stream = await dialer.openService(url, 'n1', 'hold', origin);
    await arrived;
    assert.deepEqual(node.origins.at(-1), origin);
    stream.destroy();
  });

  it('closes the node side when the dialing side closes, and ends the dialing side when the node side ends', async () => {
    held = [];
    let arrived = new Promise<void>((resolve) => (heldArrived = resolve));
    const first = await dialer.openService(url, 'n1', 'hold', origin);
    await arrived;
    const targetClosed = once(held[0] as net.Socket, 'close');
    first.destroy();
    await targetClosed;

    arrived = new Promise<void>((resolve) => (heldArrived = resolve));
    const second = await dialer.openService(url, 'n1', 'hold', origin);
    second.on('error', () => undefined);
    second.resume();
    await arrived;
    // The node's side ends: ours sees the end, and once it ends too the relay is gone.
    const streamEnded = once(second, 'end');
    (held[1] as net.Socket).destroy();
    await streamEnded;
    const relayGone = new Promise<void>((resolve) => (relayClosed = resolve));
    second.end();
    await Promise.all([once(second, 'close'), relayGone]);
  });

  it('answers NODE_OFFLINE for a node this instance does not hold', async () => {
    assert.match(await codeOf(dialer.openService(url, 'n-elsewhere', 'bulk', origin)), /^NODE_OFFLINE: Node n-elsewhere is not connected to this instance/);
  });

  it('answers SERVICE_UNAVAILABLE_ON_NODE when the node refuses the service or does not offer it', async () => {
    assert.match(await codeOf(dialer.openService(url, 'n1', 'refusing', origin)), /^SERVICE_UNAVAILABLE_ON_NODE: Node n1 refused the connection to "refusing"/);
    assert.match(await codeOf(dialer.openService(url, 'n1', 'absent', origin)), /^SERVICE_UNAVAILABLE_ON_NODE: Node n1 does not offer the service "absent"/);
  });

  it('refuses a client with another key pair before reading its request, auditing it once per address per minute', async () => {
    const stranger = await credentials();
    /** A client that presents `identity` (or no certificate), trusts any server, and asks for a relay; resolves to what it got back. */
    const knock = async (identity?: PeerCredentials): Promise<string> => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, ...(identity ? { cert: identity.cert, key: identity.key } : {}) });
      s.on('error', () => undefined);
      await once(s, 'secureConnect');
      s.write(`GET /peer/v1/nodes/n1/services/bulk HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: burrow-peer/1\r\nX-Burrow-Origin-Ip: 192.0.2.1\r\nX-Burrow-Origin-Port: 1\r\n\r\n`);
      return (await readAll(s).catch(() => Buffer.alloc(0))).toString('utf8');
    };
    const before = audits.length;
    for (let i = 0; i < 3; i++) assert.equal(await knock(stranger), '', 'cut without an answer');
    const denials = audits.slice(before);
    assert.equal(denials.length, 1);
    assert.deepEqual(denials[0], { actor: 'anonymous', sourceIp: '127.0.0.1', action: 'peer.deny', target: null, result: 'denied', detail: { reason: 'other-key' } });
    clock.advance(60_000);
    assert.equal(audits.length, before + 2, 'one summary at the end of the minute');
    assert.equal(audits.at(-1)?.detail?.notRecorded, 2);

    // A client with no certificate at all is refused the same way.
    assert.equal(await knock(), '');
    assert.equal(audits.at(-1)?.detail?.reason, 'no-certificate');

    // And one dialing with another key pair learns of it as PEER_UNREACHABLE (it refuses our server's key first).
    const dialing = new MtlsPeerDialer({ credentials: stranger, clock });
    assert.match(await codeOf(dialing.openService(url, 'n1', 'bulk', origin)), /^PEER_UNREACHABLE: /);
    await dialing.close();
  });

  it('rejects a server with another key pair with PEER_UNREACHABLE, before sending it anything', async () => {
    const impostorAudits: AuditEntry[] = [];
    const impostor = new PeerLinkServer({ credentials: await credentials(), localNode: () => node.conn, clock, log, audit: (e) => (impostorAudits.push(e), Promise.resolve()) });
    await impostor.listen('127.0.0.1:0');
    try {
      assert.match(await codeOf(dialer.openService(`https://127.0.0.1:${impostor.port}`, 'n1', 'bulk', origin)), /^PEER_UNREACHABLE: The instance at 127\.0\.0\.1:\d+ does not hold this deployment's peer key/);
    } finally {
      await impostor.close();
    }
  });

  it('bounds the relays one peer holds at once', async () => {
    let released: () => void = () => undefined;
    const relayGone = new Promise<void>((resolve) => (released = resolve));
    const counted = { peerRelayOpened: () => undefined, peerRelayedBytes: () => undefined, peerRelayClosed: () => released() };
    const bounded = new PeerLinkServer({ credentials: creds, localNode: () => node.conn, clock, log, audit: () => Promise.resolve(), maxRelaysPerPeer: 1, observer: counted });
    await bounded.listen('127.0.0.1:0');
    const boundedUrl = `https://127.0.0.1:${bounded.port}`;
    try {
      const first = await dialer.openService(boundedUrl, 'n1', 'hold', origin);
      assert.match(await codeOf(dialer.openService(boundedUrl, 'n1', 'hold', origin)), /^CHANNEL_LIMIT: This instance relays 1 connections for 127\.0\.0\.1/);
      first.destroy();
      // The slot is free once the relay is gone on the serving side too.
      await relayGone;
      (await dialer.openService(boundedUrl, 'n1', 'hold', origin)).destroy();
    } finally {
      await bounded.close();
    }
  });

  it('gives up with PEER_UNREACHABLE when the TLS handshake or the 101 does not come in time', async () => {
    const silent = await tcpService((s) => s.on('error', () => undefined));
    const pending = dialer.openService(`https://127.0.0.1:${portOf(silent)}`, 'n1', 'bulk', origin);
    clock.advance(PEER_CONNECT_TIMEOUT_MS);
    assert.match(await codeOf(pending), /^PEER_UNREACHABLE: Cannot reach the instance at 127\.0\.0\.1:\d+: no TLS connection within 5000 ms/);
    silent.close();

    // Our own key, and then nothing: a peer stuck opening the node's channel.
    const mute = tls.createServer({ cert: creds.cert, key: creds.key, requestCert: true, rejectUnauthorized: false }, (s) => s.on('error', () => undefined));
    mute.listen(0, '127.0.0.1');
    await once(mute, 'listening');
    const armed = clock.timerSet(PEER_UPGRADE_TIMEOUT_MS);
    const stuck = dialer.openService(`https://127.0.0.1:${(mute.address() as net.AddressInfo).port}`, 'n1', 'bulk', origin);
    await armed;
    clock.advance(PEER_UPGRADE_TIMEOUT_MS);
    assert.match(await codeOf(stuck), /^PEER_UNREACHABLE: The instance at 127\.0\.0\.1:\d+ did not open node n1's "bulk" within 15000 ms/);
    mute.close();
  });

  it('ends the relay when the node goes away', async () => {
    const gone = await startInProcessNode('n2', { hold: portOf(services[1] as net.Server) });
    const other = new PeerLinkServer({ credentials: creds, localNode: () => gone.conn, clock, log, audit: () => Promise.resolve() });
    await other.listen('127.0.0.1:0');
    try {
      const stream = await dialer.openService(`https://127.0.0.1:${other.port}`, 'n2', 'hold', origin);
      stream.on('error', () => undefined);
      stream.resume();
      const ended = once(stream, 'end');
      await gone.disconnect();
      await ended;
    } finally {
      await other.close();
    }
  });
});
