import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BodyTracker, requestBody } from './bodyFraming.js';
import { HeadCollector, HttpMessageError, parseRequestHead } from './httpHead.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const request = (lines: string[]) => parseRequestHead(bytes(lines.join('\r\n')));

describe('http framing read as strictly as llhttp', () => {
  it('accepts only SP and HTAB around field values', () => {
    for (const ws of ['\x0b', '\x0c', '\xa0']) {
      for (const header of [`Content-Length: ${ws}5`, `Transfer-Encoding: ${ws}chunked`, `Transfer-Encoding: chunked${ws}`]) {
        assert.throws(() => requestBody(request(['POST / HTTP/1.1', 'Host: x', header])), HttpMessageError, JSON.stringify(header));
      }
    }
    assert.deepEqual(request(['GET / HTTP/1.1', 'Host: \t x \t']).headers, [['Host', 'x']]);
  });

  it('refuses HTAB after a Content-Length and bytes over 0x7e in a target, as llhttp does', () => {
    for (const header of ['Content-Length: 1\t', 'Content-Length: 1 \t ', 'Transfer-Encoding: chunked\t']) {
      assert.throws(() => request(['POST / HTTP/1.1', 'Host: x', header]), HttpMessageError, JSON.stringify(header));
    }
    assert.deepEqual(request(['POST / HTTP/1.1', 'Host: x', 'Content-Length:\t1 ']).headers[1], ['Content-Length', '1']);
    for (const target of ['/\xa0', '/\x80', '/\x7f']) {
      assert.throws(() => request([`GET ${target} HTTP/1.1`, 'Host: x']), HttpMessageError, JSON.stringify(target));
    }
  });

  it('refuses a Transfer-Encoding that names no coding', () => {
    for (const header of ['Transfer-Encoding: ,', 'Transfer-Encoding:', 'Transfer-Encoding: , ,']) {
      assert.throws(() => requestBody(request(['GET / HTTP/1.1', 'Host: x', header])), HttpMessageError, header);
    }
  });

  it('refuses methods llhttp does not know, which a WebUI would read otherwise', () => {
    for (const line of ['ET / HTTP/1.1', 'FOO / HTTP/1.1', 'get / HTTP/1.1']) {
      assert.throws(() => request([line, 'Host: x']), HttpMessageError, line);
    }
    assert.equal(request(['PROPFIND / HTTP/1.1', 'Host: x']).method, 'PROPFIND');
  });

  it('reads chunk extensions by their grammar', () => {
    const track = (body: string) => new BodyTracker({ kind: 'chunked' }).take(bytes(body));
    for (const bad of ['1; =v\r\nx\r\n0\r\n\r\n', '1;=v\r\nx\r\n0\r\n\r\n', '1;a b\r\nx\r\n0\r\n\r\n', '1;a="x\r\nx\r\n0\r\n\r\n']) {
      assert.throws(() => track(bad), HttpMessageError, JSON.stringify(bad));
    }
    const ok = '1;a;b=c;d="q \\"x"\r\nx\r\n0\r\n\r\n';
    assert.equal(track(ok), ok.length);
  });

  it('parses trailer lines as fields and refuses malformed ones', () => {
    const track = (body: string) => new BodyTracker({ kind: 'chunked' }).take(bytes(body));
    assert.throws(() => track('0\r\nGET /smuggled HTTP/1.1\r\n\r\n'), HttpMessageError);
    assert.throws(() => track('0\r\nBad Name: v\r\n\r\n'), HttpMessageError);
    assert.throws(() => track('0\r\n: v\r\n\r\n'), HttpMessageError);
    assert.throws(() => track('0\r\n folded\r\n\r\n'), HttpMessageError);
    // Framing fields may not ride in a trailer (RFC 9110 section 6.5.1); llhttp refuses them.
    assert.throws(() => track('0\r\nTransfer-Encoding: a\r\n\r\n'), HttpMessageError);
    assert.throws(() => track('0\r\ncontent-length: 5\r\n\r\n'), HttpMessageError);
    const ok = '0\r\nX-Check: a b\r\n\r\n';
    assert.equal(track(`${ok}GET /next`), ok.length);
  });

  it('refuses field names a backend could read as a framing field', () => {
    for (const header of ['Transfer_Encoding: chunked', 'Content_Length: 5', 'content_length: 5']) {
      assert.throws(() => request(['POST / HTTP/1.1', 'Host: x', header]), HttpMessageError, header);
    }
    assert.deepEqual(request(['GET / HTTP/1.1', 'Host: x', 'X_Custom: 1']).headers[1], ['X_Custom', '1']);
  });

  it('tolerates the one empty line allowed before a request line, however it is split', () => {
    const text = '\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nNEXT';
    for (let cut = 1; cut < text.length; cut++) {
      const c = new HeadCollector(1024, true);
      const got = c.push(bytes(text.slice(0, cut))) ?? c.push(bytes(text.slice(cut)));
      assert.ok(got, `cut at ${cut}`);
      assert.equal(parseRequestHead(got.head).target, '/a', `cut at ${cut}`);
    }
  });
});
