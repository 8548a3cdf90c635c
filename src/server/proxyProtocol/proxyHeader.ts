import { isIPv4, isIPv6 } from 'node:net';

/** The address and port of the client a balancer forwards, as its PROXY header names them. */
export interface ProxiedClient {
  ip: string;
  port: number;
}

/**
 * What the first bytes of a balancer's connection say: a forwarded client, a LOCAL
 * connection (the balancer's own, e.g. a health check), not enough bytes yet, or not a
 * valid header. `length` is how many bytes the header took; what follows is the client's.
 */
export type ProxyHeaderResult =
  | { kind: 'proxy'; client: ProxiedClient; length: number }
  | { kind: 'local'; length: number }
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string };

/** The 12-byte signature that opens a version 2 (binary) header. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** What opens a version 1 (text) header. */
const V1_PREFIX = Buffer.from('PROXY ');
/** The longest v1 line the specification allows, CRLF included. */
const V1_MAX_BYTES = 107;
/** Signature, version/command, family/transport and the 2-byte length. */
const V2_FIXED_BYTES = 16;
/**
 * The longest v2 header accepted: addresses plus room for the TLVs a balancer may add
 * (unique id, ALPN, authority). The format allows 64 KiB; nobody needs it, and holding a
 * connection's bytes until then is memory an attacker on a listed address could spend.
 */
export const MAX_HEADER_BYTES = 1_024;

const INVALID = (reason: string): ProxyHeaderResult => ({ kind: 'invalid', reason });

/**
 * Parses the PROXY protocol header (version 2, or version 1 text) at the start of `bytes`.
 * Pure and total: any input gives a result, never an exception, so it can be fed straight
 * from the network.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeaderResult {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 0) return { kind: 'incomplete' };
  if (b[0] === V2_SIGNATURE[0]) return parseV2(b);
  if (b[0] === V1_PREFIX[0]) return parseV1(b);
  return INVALID('no PROXY header');
}

/**
 * Whether bytes that start a connection are (`yes`), may become (`maybe`) or are not (`no`)
 * a PROXY header: a header from an address that is not a listed balancer is refused.
 */
export function startsLikeProxyHeader(bytes: Uint8Array): 'yes' | 'no' | 'maybe' {
  for (const sig of [V2_SIGNATURE, V1_PREFIX]) {
    const n = Math.min(bytes.length, sig.length);
    if (n > 0 && sig.subarray(0, n).equals(bytes.subarray(0, n))) return n === sig.length ? 'yes' : 'maybe';
  }
  return bytes.length === 0 ? 'maybe' : 'no';
}

function parseV2(b: Buffer): ProxyHeaderResult {
  const n = Math.min(b.length, V2_SIGNATURE.length);
  if (!b.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) return INVALID('no PROXY header');
  if (b.length < V2_FIXED_BYTES) return { kind: 'incomplete' };
  const version = b[12]! >> 4;
  const command = b[12]! & 0x0f;
  const family = b[13]! >> 4;
  const transport = b[13]! & 0x0f;
  const length = V2_FIXED_BYTES + b.readUInt16BE(14);
  if (version !== 2) return INVALID(`PROXY protocol version ${version}`);
  if (command > 1) return INVALID(`unknown PROXY command ${command}`);
  if (family > 3) return INVALID(`unknown address family ${family}`);
  if (transport > 2) return INVALID(`unknown transport ${transport}`);
  if (length > MAX_HEADER_BYTES) return INVALID(`a ${length}-byte PROXY header`);
  if (b.length < length) return { kind: 'incomplete' };
  // LOCAL: the balancer speaks for itself (health checks); the addresses, if any, mean nothing.
  // PROXY over an unspecified family: the specification says to use the connection's own.
  if (command === 0 || family === 0) return { kind: 'local', length };
  if (transport !== 1) return INVALID('a PROXY header for a transport other than TCP');
  const body = b.subarray(V2_FIXED_BYTES, length);
  if (family === 1) {
    if (body.length < 12) return INVALID('a PROXY header too short for its IPv4 addresses');
    return { kind: 'proxy', client: { ip: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) }, length };
  }
  if (family === 2) {
    if (body.length < 36) return INVALID('a PROXY header too short for its IPv6 addresses');
    return { kind: 'proxy', client: { ip: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) }, length };
  }
  return INVALID('a PROXY header for a UNIX socket client');
}

function parseV1(b: Buffer): ProxyHeaderResult {
  const n = Math.min(b.length, V1_PREFIX.length);
  if (!b.subarray(0, n).equals(V1_PREFIX.subarray(0, n))) return INVALID('no PROXY header');
  const lf = b.subarray(0, V1_MAX_BYTES).indexOf(0x0a);
  if (lf < 0) return b.length >= V1_MAX_BYTES ? INVALID('a PROXY line longer than 107 bytes') : { kind: 'incomplete' };
  if (lf === 0 || b[lf - 1] !== 0x0d) return INVALID('a PROXY line not ended by CRLF');
  const line = b.subarray(0, lf - 1).toString('latin1');
  const length = lf + 1;
  const fields = line.split(' ');
  if (fields[1] === 'UNKNOWN') return { kind: 'local', length };
  if (fields.length !== 6) return INVALID('a PROXY line without 6 fields');
  const [, proto, src, dst, sport, dport] = fields as [string, string, string, string, string, string];
  const isIp = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : undefined;
  if (!isIp) return INVALID(`unknown PROXY protocol family ${proto.slice(0, 8)}`);
  if (!isIp(src) || !isIp(dst)) return INVALID(`a PROXY line with addresses that are not ${proto}`);
  const port = portNumber(sport);
  if (port === undefined || portNumber(dport) === undefined) return INVALID('a PROXY line with an invalid port');
  return { kind: 'proxy', client: { ip: proto === 'TCP6' ? unmapped(canonicalIpv6(src)) : src, port }, length };
}

/** A decimal port 0-65535 without leading zeros, as the v1 specification writes them. */
function portNumber(s: string): number | undefined {
  if (!/^(0|[1-9]\d{0,4})$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** 16 address bytes as text; an IPv4-mapped address as plain IPv4, as `normalizeIp` shows sockets. */
function ipv6Text(a: Buffer): string {
  if (a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff) return [...a.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
  return canonicalIpv6(groups.join(':'));
}

/** An IPv4-mapped address in canonical form (`::ffff:c000:201`) as plain IPv4, as ipv6Text and `normalizeIp` give it. */
function unmapped(ip: string): string {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!m) return ip;
  const hi = Number.parseInt(m[1] as string, 16);
  const lo = Number.parseInt(m[2] as string, 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** The compressed lowercase form (RFC 5952), so one client has one address in every record. */
function canonicalIpv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
