import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyRequestHeaders, proxyResponseHeaders, rewriteLocation, type ProxyNames } from './proxyHeaders.js';

const names: ProxyNames = { target: { scheme: 'http', host: '192.168.1.1', port: 80 }, publicOrigin: 'https://burrow.example:41000', clientIp: '10.0.0.9' };

describe('proxy headers', () => {
  it('sends the WebUI its own Host and Origin, without our cookies or hop-by-hop headers', () => {
    const h = proxyRequestHeaders(
      { host: 'burrow.example:41000', origin: 'https://burrow.example:41000', cookie: 'burrow_s_a=1; sid=2', connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', accept: '*/*' },
      names,
    );
    assert.deepEqual(h, {
      host: '192.168.1.1:80',
      origin: 'http://192.168.1.1:80',
      cookie: 'sid=2',
      accept: '*/*',
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'burrow.example:41000',
    });
  });

  it('rewrites only redirects that name the WebUI itself', () => {
    assert.equal(rewriteLocation('http://192.168.1.1/a?b#c', names), 'https://burrow.example:41000/a?b#c');
    assert.equal(rewriteLocation('http://192.168.1.1:80/a', names), 'https://burrow.example:41000/a');
    assert.equal(rewriteLocation('http://192.168.1.1:8080/a', names), 'http://192.168.1.1:8080/a');
    assert.equal(rewriteLocation('https://elsewhere.example/a', names), 'https://elsewhere.example/a');
    assert.equal(rewriteLocation('/relative', names), '/relative');
  });

  it('drops Domain from the WebUI cookies and hop-by-hop headers from its answers', () => {
    const h = proxyResponseHeaders({ 'set-cookie': ['a=1; Domain=192.168.1.1; Path=/', 'b=2'], connection: 'close', 'content-length': '3' }, names);
    assert.deepEqual(h, { 'set-cookie': ['a=1; Path=/', 'b=2'], 'content-length': '3' });
  });
});
