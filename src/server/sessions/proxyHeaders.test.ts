import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, parseResponseHead } from './httpHead.js';
import { proxyRequestHead, proxyResponseHead, rewriteLocation, type ProxyNames } from './proxyHeaders.js';

const names: ProxyNames = { target: { scheme: 'http', host: '192.168.1.1', port: 80 }, publicOrigin: 'https://burrow.example:41000', clientIp: '10.0.0.9', webuiCookiePrefix: 'burrow_w_ses_1.' };
const head = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');

describe('proxy headers', () => {
  it('sends the WebUI its own Host, Origin and Referer, without our cookies, keeping the rest in order', () => {
    const req = parseRequestHead(head([
      'POST /a?b=1 HTTP/1.1', 'Host: burrow.example:41000', 'Origin: https://burrow.example:41000', 'Referer: https://burrow.example:41000/x?y',
      'Cookie: burrow_s_a=1; burrow_w_ses_1.sid=2; burrow_w_ses_9.sid=3', 'Connection: keep-alive', 'Accept: */*', 'X-Forwarded-For: 6.6.6.6', 'Proxy-Authorization: Basic eA==',
    ]));
    assert.equal(proxyRequestHead(req, '/a?b=1', names).toString('latin1'), [
      'POST /a?b=1 HTTP/1.1', 'Connection: keep-alive', 'Accept: */*', 'Host: 192.168.1.1:80', 'Cookie: sid=2', 'Origin: http://192.168.1.1:80',
      'Referer: http://192.168.1.1:80/x?y', 'X-Forwarded-For: 10.0.0.9', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: burrow.example:41000', '', '',
    ].join('\r\n'));
  });

  it('leaves a foreign Origin alone and sends no Cookie when only ours was there', () => {
    const req = parseRequestHead(head(['GET / HTTP/1.1', 'Host: h', 'Origin: https://evil.example', 'Cookie: burrow_s_a=1']));
    const out = proxyRequestHead(req, '/', names).toString('latin1');
    assert.match(out, /\r\nOrigin: https:\/\/evil\.example\r\n/);
    assert.doesNotMatch(out, /Cookie/);
  });

  it('rewrites only redirects that name the WebUI itself', () => {
    assert.equal(rewriteLocation('http://192.168.1.1/a?b#c', names), 'https://burrow.example:41000/a?b#c');
    assert.equal(rewriteLocation('http://192.168.1.1:80/a', names), 'https://burrow.example:41000/a');
    assert.equal(rewriteLocation('http://192.168.1.1:8080/a', names), 'http://192.168.1.1:8080/a');
    assert.equal(rewriteLocation('https://elsewhere.example/a', names), 'https://elsewhere.example/a');
    assert.equal(rewriteLocation('/relative', names), '/relative');
  });

  it('keeps the WebUI cookies to this session, lets it clear or set none of the host\'s others, and points its redirects at the session port', () => {
    const res = parseResponseHead(head([
      'HTTP/1.1 302 Found', 'Set-Cookie: a=1; Domain=192.168.1.1; Path=/', 'Set-Cookie: b=2; HttpOnly', 'Set-Cookie: burrow_session=x', 'Clear-Site-Data: "cookies"',
      'Location: http://192.168.1.1/in', 'Content-Length: 0',
    ]));
    assert.equal(proxyResponseHead(res, names).toString('latin1'), [
      'HTTP/1.1 302 Found', 'Set-Cookie: a=1; Path=/', 'Set-Cookie: burrow_w_ses_1.b=2; HttpOnly', 'Location: https://burrow.example:41000/in', 'Content-Length: 0', '', '',
    ].join('\r\n'));
  });
});
