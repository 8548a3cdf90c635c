import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { pino } from 'pino';
import { FakeClock } from '../../shared/clock.js';
import { selfSignedCertificate } from '../tlsCertificate.js';
import { HttpConnectionRelay, type HttpConnectionRelayDeps } from './httpConnectionRelay.js';
import { writeHead } from './httpHead.js';

/** A TLS listener relaying to a real Node HTTP origin over plain TCP (in the product, a tunnel channel). */
async function relayWorld(overrides: Partial<HttpConnectionRelayDeps> = {}) {
  const seen: string[] = [];
  let upstreams = 0;
  const origin = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/big') {
      res.end(Buffer.alloc(8 * 1024 * 1024, 7));
    } else if (req.url === '/empty') {
      res.writeHead(204).end();
    } else if (req.url === '/close') {
      res.setHeader('connection', 'close');
      res.end('bye');
    } else {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(parts).length} ${req.headers.host}`));
    }
  });
  origin.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  const { cert, key } = await selfSignedCertificate(['localhost']);
  // Head and keep-alive deadlines run on this clock: they fire only when a test advances it.
  const clock = new FakeClock();
  const deps: HttpConnectionRelayDeps = {
    judge: (head) => (head.target === '/refused'
      ? { kind: 'answer', close: true, answer: { status: 403, headers: {}, body: 'no' } }
      : { kind: 'relay', head: writeHead(`${head.method} ${head.target} HTTP/${head.version}`, head.headers.map(([k, v]) => [k, k.toLowerCase() === 'host' ? 'webui' : v])) }),
    rewriteResponse: (head) => writeHead(`HTTP/${head.version} ${head.status} ${head.reason}`, [...head.headers, ['X-Relayed', '1']]),
    openUpstream: async () => {
      upstreams += 1;
      const s = net.connect((origin.address() as AddressInfo).port, '127.0.0.1');
      await once(s, 'connect');
      return s;
    },
    onActivity: () => undefined,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_MS,
    clock,
    log: pino({ level: 'silent' }),
    ...overrides,
  };
  const server = tls.createServer({ cert, key }, (socket) => new HttpConnectionRelay(socket, deps));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    clock,
    upstreams: () => upstreams,
    /**
     * Writes raw bytes on a fresh TLS connection once the relay holds it, then calls `then`.
     * Resolves with all it answered once it closes, or once `until` holds for the answer so far.
     */
    exchange: (bytes: string | Buffer[], o: { until?: (text: string) => boolean; then?: () => void } = {}): Promise<{ text: string; closed: boolean }> => new Promise((resolve, reject) => {
      const held = once(server, 'secureConnection');
      const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
      const parts: Buffer[] = [];
      let settled = false;
      const text = () => Buffer.concat(parts).toString('latin1');
      const done = (closed: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(stuck);
        if (!closed) s.destroy();
        resolve({ text: text(), closed });
      };
      // Only a broken relay gets here: the answers these tests wait for come in milliseconds.
      const stuck = setTimeout(() => {
        s.destroy();
        reject(new assert.AssertionError({ message: `no close and no expected answer; got ${JSON.stringify(text())}` }));
      }, 20_000);
      s.on('data', (d: Buffer) => {
        parts.push(d);
        if (o.until?.(text())) done(false);
      });
      s.on('error', () => undefined);
      s.on('close', () => done(true));
      s.once('secureConnect', () => {
        void held.then(() => {
          for (const b of typeof bytes === 'string' ? [Buffer.from(bytes, 'latin1')] : bytes) s.write(b);
          o.then?.();
        });
      });
    }),
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    port,
    close: () => {
      server.close();
      origin.closeAllConnections();
      origin.close();
    },
  };
}

type World = Awaited<ReturnType<typeof relayWorld>>;
const HEADERS_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_MS = 5_000;
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

describe('http connection relay', () => {
  let w: World;
  before(async () => {
    w = await relayWorld();
  });
  after(() => w.close());

  it('relays keep-alive requests of one connection over one channel, rewriting heads both ways', async () => {
    const before = w.upstreams();
    const r = await w.exchange(
      'GET /a HTTP/1.1\r\nHost: x\r\n\r\n'
      + 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
      + 'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n'
      + 'HEAD /d HTTP/1.1\r\nHost: x\r\n\r\n'
      + 'GET /empty HTTP/1.1\r\nHost: x\r\n\r\n'
      + 'GET /e HTTP/1.1\r\nHost: x\r\n\r\n',
      { until: (text) => /GET \/e 0 webui$/.test(text) },
    );
    assert.deepEqual(statuses(r.text), [200, 200, 200, 200, 204, 200]);
    assert.match(r.text, /GET \/a 0 webui/);
    assert.match(r.text, /POST \/b 5 webui/);
    assert.match(r.text, /POST \/c 5 webui/);
    assert.match(r.text, /GET \/e 0 webui$/);
    assert.equal(r.text.match(/X-Relayed: 1/g)?.length, 6);
    assert.equal(w.upstreams() - before, 1);
  });

  it('carries an 8 MiB answer intact with back-pressure', async () => {
    const r = await w.exchange('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
    assert.equal(body.length, 8 * 1024 * 1024);
    assert.ok(Buffer.from(body, 'latin1').every((b) => b === 7), 'every byte as sent');
    assert.ok(r.closed);
  });

  it('refuses smuggling shapes with one 400 and passes nothing of them on', async () => {
    const cases = [
      'POST /s1 HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /s2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n\r\n',
      'POST /s3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
      'GET /s4 HTTP/1.1\r\nHost: x\r\nX: a\nb\r\n\r\n',
      'GET /s5 HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n',
      'GET /s6 HTTP/1.1\r\n\r\n',
      'GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    for (const c of cases) {
      const r = await w.exchange(c);
      assert.deepEqual(statuses(r.text), [400], c);
      assert.ok(r.closed, c);
    }
    assert.ok(!w.seen.some((s) => /\/s\d|smuggled|evil/.test(s)), w.seen.join(','));
  });

  it('cuts a request whose chunking breaks mid-body, with no second answer', async () => {
    const r = await w.exchange('POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(statuses(r.text).length <= 1);
    assert.ok(r.closed);
    assert.ok(!w.seen.includes('GET /after'));
  });

  it('answers its own refusals without opening a channel', async () => {
    const before = w.upstreams();
    const r = await w.exchange('GET /refused HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(r.text), [403]);
    assert.match(r.text, /connection: close/);
    assert.equal(w.upstreams(), before);
  });

  it('says 408 to a head that never ends, and closes an idle kept-alive connection quietly', async () => {
    const slow = await w.exchange('GET / HTTP/1.1\r\nHost: x\r\n', { then: () => w.clock.advance(HEADERS_TIMEOUT_MS) });
    assert.deepEqual(statuses(slow.text), [408]);
    assert.ok(slow.closed);
    const idle = await w.exchange('GET /one HTTP/1.1\r\nHost: x\r\n\r\n', {
      until: (text) => {
        // Answered in full: from now on the connection only waits for a next request.
        if (text.endsWith('GET /one 0 webui')) w.clock.advance(KEEP_ALIVE_MS);
        return false;
      },
    });
    assert.deepEqual(statuses(idle.text), [200]);
    assert.ok(idle.closed, 'closed after the keep-alive timeout');
  });

  it('closes the browser connection after an answer that closes, and opens a new channel when the WebUI dropped an idle one', async () => {
    const closing = await w.exchange('GET /close HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(closing.text), [200]);
    assert.ok(closing.closed);
    assert.ok(!w.seen.includes('GET /never'));
  });

  it('passes 100-continue, and turns a 101 into a plain pipe', async () => {
    const cont = await w.exchange([
      Buffer.from('POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'),
    ], { until: (text) => text.includes('\r\n\r\n') });
    assert.deepEqual(statuses(cont.text), [100]);
    const r = await w.exchange('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping-after-upgrade', { until: (text) => text.endsWith('ping-after-upgrade') });
    assert.deepEqual(statuses(r.text), [101]);
    assert.match(r.text, /\r\n\r\nping-after-upgrade$/);
  });

  it('answers 502 when the WebUI cannot be reached or answers garbage', async () => {
    const down = await relayWorld({ openUpstream: () => Promise.reject(new Error('node offline')) });
    const r = await down.exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(r.text), [502]);
    down.close();
    const liar = net.createServer((s) => s.once('data', () => s.write('NOT HTTP\r\n\r\n')));
    liar.listen(0, '127.0.0.1');
    await once(liar, 'listening');
    const garbage = await relayWorld({
      openUpstream: async () => {
        const s = net.connect((liar.address() as AddressInfo).port, '127.0.0.1');
        await once(s, 'connect');
        return s;
      },
    });
    const g = await garbage.exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.deepEqual(statuses(g.text), [502]);
    garbage.close();
    liar.close();
  });
});
