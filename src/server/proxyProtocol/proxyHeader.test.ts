import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_HEADER_BYTES, parseProxyHeader, startsLikeProxyHeader } from './proxyHeader.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A v2 header as HAProxy writes it: signature, version/command, family/transport, length, addresses, TLVs. */
function v2(o: { command?: number; family?: number; body: Buffer; version?: number }): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(o.body.length);
  return Buffer.concat([SIG, Buffer.from([((o.version ?? 2) << 4) | (o.command ?? 1), o.family ?? 0x11]), len, o.body]);
}

function inet4(src: number[], sport: number, dst: number[], dport: number, extra = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  return Buffer.concat([Buffer.from(src), Buffer.from(dst), ports, extra]);
}

test('a v2 PROXY header over TCP/IPv4 gives the client address and the header length', () => {
  const h = v2({ body: inet4([192, 0, 2, 7], 51000, [10, 0, 0, 1], 443) });
  const r = parseProxyHeader(Buffer.concat([h, Buffer.from('\x16\x03\x01rest')]));
  assert.deepEqual(r, { kind: 'proxy', client: { ip: '192.0.2.7', port: 51000 }, length: h.length });
});

test('a v2 header over TCP/IPv6 gives the IPv6 client in its canonical form', () => {
  const src = Buffer.alloc(16);
  src.writeUInt16BE(0x2001, 0);
  src.writeUInt16BE(0x0db8, 2);
  src.writeUInt16BE(0x0001, 14);
  const ports = Buffer.from([0xc3, 0x50, 0x01, 0xbb]);
  const h = v2({ family: 0x21, body: Buffer.concat([src, Buffer.alloc(16), ports]) });
  assert.deepEqual(parseProxyHeader(h), { kind: 'proxy', client: { ip: '2001:db8::1', port: 50000 }, length: h.length });
});

test('an IPv4-mapped IPv6 client is reported as plain IPv4, as sockets report it after normalizeIp', () => {
  const src = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 9]);
  const h = v2({ family: 0x21, body: Buffer.concat([src, Buffer.alloc(16), Buffer.from([0, 1, 0, 2])]) });
  assert.deepEqual(parseProxyHeader(h), { kind: 'proxy', client: { ip: '198.51.100.9', port: 1 }, length: h.length });
});

test('TLVs after the addresses are skipped', () => {
  const tlv = Buffer.from([0x05, 0x00, 0x03, 1, 2, 3]);
  const h = v2({ body: inet4([203, 0, 113, 1], 1, [10, 0, 0, 1], 2, tlv) });
  const r = parseProxyHeader(h);
  assert.equal(r.kind, 'proxy');
  assert.equal(r.kind === 'proxy' && r.length, h.length);
});

test('the LOCAL command (a health check) is accepted whatever its family says', () => {
  for (const family of [0x00, 0x11]) {
    const h = v2({ command: 0, family, body: family ? inet4([1, 2, 3, 4], 1, [5, 6, 7, 8], 2) : Buffer.alloc(0) });
    assert.deepEqual(parseProxyHeader(h), { kind: 'local', length: h.length });
  }
});

test('PROXY with an unspecified family counts as LOCAL, as the specification says', () => {
  const h = v2({ family: 0x00, body: Buffer.alloc(0) });
  assert.deepEqual(parseProxyHeader(h), { kind: 'local', length: h.length });
});

test('v2 headers that lie or do not fit are invalid', () => {
  const good = inet4([1, 2, 3, 4], 1, [5, 6, 7, 8], 2);
  const cases: Array<[string, Buffer]> = [
    ['version 1 in the binary form', v2({ version: 1, body: good })],
    ['version 3', v2({ version: 3, body: good })],
    ['an unknown command', v2({ command: 2, body: good })],
    ['UDP', v2({ family: 0x12, body: good })],
    ['an unknown family', v2({ family: 0x41, body: good })],
    ['an unknown transport', v2({ family: 0x13, body: good })],
    ['a UNIX socket source', v2({ family: 0x31, body: Buffer.alloc(216) })],
    ['an IPv4 body too short for its addresses', v2({ body: good.subarray(0, 11) })],
    ['an IPv6 body too short for its addresses', v2({ family: 0x21, body: Buffer.alloc(35) })],
  ];
  for (const [what, h] of cases) assert.equal(parseProxyHeader(h).kind, 'invalid', what);
});

test('a v2 header longer than the limit is invalid before it is all read', () => {
  const head = Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
  assert.ok(MAX_HEADER_BYTES < 0xffff + 16);
  assert.equal(parseProxyHeader(head).kind, 'invalid');
});

test('v1 text headers for TCP4, TCP6 and UNKNOWN', () => {
  const t4 = 'PROXY TCP4 192.0.2.1 10.0.0.1 56324 443\r\n';
  assert.deepEqual(parseProxyHeader(Buffer.from(`${t4}GET /`)), { kind: 'proxy', client: { ip: '192.0.2.1', port: 56324 }, length: t4.length });
  const t6 = 'PROXY TCP6 2001:db8::5 2001:db8::1 1 65535\r\n';
  assert.deepEqual(parseProxyHeader(Buffer.from(t6)), { kind: 'proxy', client: { ip: '2001:db8::5', port: 1 }, length: t6.length });
  const u = 'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n';
  assert.deepEqual(parseProxyHeader(Buffer.from(u)), { kind: 'local', length: u.length });
});

test('a v1 TCP6 header naming an IPv4-mapped client gives its plain IPv4 address, as v2 and sockets do', () => {
  // HAProxy on a dual-stack bind writes IPv4 clients this way; one client must have one address everywhere.
  for (const src of ['::ffff:192.0.2.1', '::FFFF:192.0.2.1', '::ffff:c000:201']) {
    const line = `PROXY TCP6 ${src} ::ffff:10.0.0.1 56324 443\r\n`;
    assert.deepEqual(parseProxyHeader(Buffer.from(line)), { kind: 'proxy', client: { ip: '192.0.2.1', port: 56324 }, length: line.length }, src);
  }
});

test('malformed v1 headers are invalid', () => {
  for (const line of [
    'PROXY TCP4 192.0.2.1 10.0.0.1 56324\r\n',
    'PROXY TCP4 192.0.2.1 10.0.0.1 56324 443 x\r\n',
    'PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n',
    'PROXY TCP6 192.0.2.1 2001:db8::1 1 2\r\n',
    'PROXY TCP4 192.0.2.256 10.0.0.1 1 2\r\n',
    'PROXY TCP4 192.0.2.1 10.0.0.1 65536 2\r\n',
    'PROXY TCP4 192.0.2.1 10.0.0.1 01 2\r\n',
    'PROXY TCP4 192.0.2.1 10.0.0.1 -1 2\r\n',
    'PROXY UDP4 192.0.2.1 10.0.0.1 1 2\r\n',
    'PROXY  TCP4 192.0.2.1 10.0.0.1 1 2\r\n',
    'PROXY TCP4 192.0.2.1 10.0.0.1 1 2\n',
    'PROXY TCP4 192.0.2.1 10.0.0.1 1 2\r\r\n',
  ]) assert.equal(parseProxyHeader(Buffer.from(line)).kind, 'invalid', JSON.stringify(line));
});

test('a v1 line with no end within 107 bytes is invalid; a shorter one is incomplete', () => {
  assert.equal(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)).kind, 'invalid');
  assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 192.0.2.1 ')).kind, 'incomplete');
});

test('anything that is not a PROXY header is invalid, as soon as it cannot become one', () => {
  assert.equal(parseProxyHeader(Buffer.from([0x16, 0x03, 0x01])).kind, 'invalid');
  assert.equal(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'invalid');
  assert.equal(parseProxyHeader(Buffer.from('SSH-2.0-OpenSSH')).kind, 'invalid');
});

test('every strict prefix of a valid header is incomplete', () => {
  const headers = [v2({ body: inet4([192, 0, 2, 7], 51000, [10, 0, 0, 1], 443) }), Buffer.from('PROXY TCP4 192.0.2.1 10.0.0.1 56324 443\r\n')];
  for (const h of headers) for (let k = 0; k < h.length; k++) assert.equal(parseProxyHeader(h.subarray(0, k)).kind, 'incomplete', `prefix ${k}`);
});

test('startsLikeProxyHeader tells a forged header from ordinary first bytes', () => {
  assert.equal(startsLikeProxyHeader(SIG.subarray(0, 5)), 'maybe');
  assert.equal(startsLikeProxyHeader(SIG), 'yes');
  assert.equal(startsLikeProxyHeader(Buffer.from('PROX')), 'maybe');
  assert.equal(startsLikeProxyHeader(Buffer.from('PROXY TCP4')), 'yes');
  assert.equal(startsLikeProxyHeader(Buffer.from([0x16, 0x03])), 'no');
  assert.equal(startsLikeProxyHeader(Buffer.from('SSH-2.0')), 'no');
  assert.equal(startsLikeProxyHeader(Buffer.from('\r\nfoo')), 'no');
});

test('property: any bytes parse without throwing, and a result never claims more bytes than were given', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    const r = parseProxyHeader(Buffer.from(bytes));
    if (r.kind === 'proxy' || r.kind === 'local') assert.ok(r.length <= bytes.length && r.length >= 16 - 8);
  }), { numRuns: 2_000 });
});

test('property: random bytes after the v2 signature parse without throwing', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
    const r = parseProxyHeader(Buffer.concat([SIG, Buffer.from(tail)]));
    assert.ok(['proxy', 'local', 'invalid', 'incomplete'].includes(r.kind));
  }), { numRuns: 2_000 });
});

test('property: a v2 IPv4 header round-trips its client address and port, whatever follows it', () => {
  fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (ip, port, tlvs, after) => {
    const h = v2({ body: inet4(ip.split('.').map(Number), port, [10, 0, 0, 1], 443, Buffer.from(tlvs)) });
    assert.deepEqual(parseProxyHeader(Buffer.concat([h, Buffer.from(after)])), { kind: 'proxy', client: { ip, port }, length: h.length });
  }), { numRuns: 1_000 });
});

test('property: a v1 TCP4 header round-trips its client address and port', () => {
  fc.assert(fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (ip, dst, port) => {
    const line = `PROXY TCP4 ${ip} ${dst} ${port} 443\r\n`;
    assert.deepEqual(parseProxyHeader(Buffer.from(line)), { kind: 'proxy', client: { ip, port }, length: line.length });
  }), { numRuns: 1_000 });
});
