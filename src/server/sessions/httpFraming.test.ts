import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BodyTracker, requestBody, responseBody, type BodyKind } from './bodyFraming.js';
import { HeadCollector, HttpMessageError, parseRequestHead, parseResponseHead } from './httpHead.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const request = (lines: string[]) => parseRequestHead(bytes(lines.join('\r\n')));

/** Feeds `stream` to a tracker in pieces of `step` bytes; returns how many bytes the body took. */
function track(kind: BodyKind, stream: string, step: number): { taken: number; done: boolean } {
  const t = new BodyTracker(kind);
  let taken = 0;
  for (let i = 0; i < stream.length && !t.done; i += step) {
    const piece = bytes(stream.slice(i, i + step));
    const n = t.take(piece);
    taken += n;
    if (n < piece.length) break;
  }
  return { taken, done: t.done };
}

describe('http heads', () => {
  it('finds a head split anywhere across chunks, blank line included', () => {
    const text = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nNEXT';
    for (let cut = 1; cut < text.length; cut++) {
      const c = new HeadCollector(1024);
      const first = c.push(bytes(text.slice(0, cut)));
      const got = first ?? c.push(bytes(text.slice(cut)));
      assert.ok(got, `cut at ${cut}`);
      assert.equal(got.head.toString('latin1'), 'GET /a HTTP/1.1\r\nHost: x');
      // What came after the blank line in the chunk that completed the head.
      assert.equal(got.rest.toString('latin1'), first ? text.slice(text.indexOf('NEXT'), cut) : 'NEXT');
    }
  });

  it('refuses a head over its limit with 431', () => {
    const c = new HeadCollector(64);
    assert.throws(() => c.push(bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(80)}`)), (e: HttpMessageError) => e.status === 431);
  });

  it('parses a request and keeps header names as sent, in order', () => {
    const h = request(['POST /p?q=1 HTTP/1.1', 'Host: x', 'X-Two:  a b ', 'x-two: c']);
    assert.deepEqual(h, { method: 'POST', target: '/p?q=1', version: '1.1', headers: [['Host', 'x'], ['X-Two', 'a b'], ['x-two', 'c']] });
    assert.equal(request(['OPTIONS * HTTP/1.0']).target, '*');
  });

  it('refuses request lines and headers that another parser could read differently', () => {
    const bad: [string[], number][] = [
      [['GET  / HTTP/1.1', 'Host: x'], 400],
      [['GET / HTTP/2.0', 'Host: x'], 400],
      [['GET http://evil/ HTTP/1.1', 'Host: x'], 400],
      [['CONNECT x:443 HTTP/1.1', 'Host: x'], 405],
      [['GET / HTTP/1.1'], 400],
      [['GET / HTTP/1.1', 'Host: x', 'Host: y'], 400],
      [['GET / HTTP/1.1', 'Host: x', 'Bad Name: v'], 400],
      [['GET / HTTP/1.1', 'Host: x', ' folded'], 400],
      [['GET / HTTP/1.1', 'Host: x', 'X: a\nb'], 400],
      [['GET / HTTP/1.1', 'Host: x', 'X: a\x00b'], 400],
    ];
    for (const [lines, status] of bad) {
      assert.throws(() => request(lines), (e: HttpMessageError) => e.status === status, JSON.stringify(lines));
    }
  });

  it('parses status lines with and without a reason', () => {
    assert.deepEqual(parseResponseHead(bytes('HTTP/1.1 204')), { version: '1.1', status: 204, reason: '', headers: [] });
    assert.equal(parseResponseHead(bytes('HTTP/1.0 404 Not Found')).reason, 'Not Found');
    assert.throws(() => parseResponseHead(bytes('HTTP/1.1 20 OK')));
  });
});

describe('http body framing', () => {
  it('reads request framing strictly', () => {
    assert.deepEqual(requestBody(request(['POST / HTTP/1.1', 'Host: x', 'Content-Length: 5'])), { kind: 'length', bytes: 5 });
    assert.deepEqual(requestBody(request(['POST / HTTP/1.1', 'Host: x', 'Transfer-Encoding: gzip, chunked'])), { kind: 'chunked' });
    assert.deepEqual(requestBody(request(['GET / HTTP/1.1', 'Host: x', 'Content-Length: 0'])), { kind: 'none' });
    for (const extra of [['Content-Length: 5', 'Transfer-Encoding: chunked'], ['Content-Length: 5', 'Content-Length: 5'], ['Content-Length: -1'], ['Content-Length: 1e3'], ['Transfer-Encoding: chunked, gzip'], ['Transfer-Encoding: chunked, chunked']]) {
      assert.throws(() => requestBody(request(['POST / HTTP/1.1', 'Host: x', ...extra])), HttpMessageError, extra.join(' + '));
    }
  });

  it('knows the answers that have no body, and the ones that end with the connection', () => {
    assert.deepEqual(responseBody('HEAD', 200, [['Content-Length', '10']]), { kind: 'none' });
    assert.deepEqual(responseBody('GET', 304, [['Content-Length', '10']]), { kind: 'none' });
    assert.deepEqual(responseBody('GET', 200, []), { kind: 'close' });
    assert.deepEqual(responseBody('GET', 200, [['Transfer-Encoding', 'gzip']]), { kind: 'close' });
    assert.deepEqual(responseBody('GET', 200, [['Content-Length', '7, 7']]), { kind: 'length', bytes: 7 });
    assert.throws(() => responseBody('GET', 200, [['Content-Length', '7, 8']]), HttpMessageError);
  });

  it('follows chunked bodies with extensions and trailers however they are split, and stops at their end', () => {
    const body = '3;name=v\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: 1\r\n\r\n';
    for (const step of [1, 2, 3, 7, body.length]) {
      assert.deepEqual(track({ kind: 'chunked' }, `${body}GET /next`, step), { taken: body.length, done: true }, `step ${step}`);
    }
  });

  it('refuses malformed chunking', () => {
    for (const bad of ['ZZ\r\n', '\r\n', '3\r\nabcXX', '3\nabc\r\n', 'fffffffffffff\r\n', '3;\x01\r\n']) {
      assert.throws(() => track({ kind: 'chunked' }, bad, 1), HttpMessageError, JSON.stringify(bad));
    }
  });

  it('counts a length body across chunks and leaves what follows', () => {
    assert.deepEqual(track({ kind: 'length', bytes: 5 }, 'helloGET', 2), { taken: 5, done: true });
    assert.deepEqual(track({ kind: 'length', bytes: 5 }, 'hel', 2), { taken: 3, done: false });
  });
});
