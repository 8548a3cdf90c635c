import { createHmac, randomBytes } from 'node:crypto';
import { BurrowError } from '../shared/errors.js';
import { md4 } from './md4.js';

/**
 * NTLMv2 for proxy authentication (MS-NLMP): the NEGOTIATE message, reading the proxy's
 * CHALLENGE, and the AUTHENTICATE message. Only NTLMv2 responses are sent: NTLMv1 and LM
 * are broken and a proxy that needs them should be reconfigured, not accommodated.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** Negotiate flags (MS-NLMP 2.2.2.5) that we ask for. */
const NEGOTIATE_UNICODE = 0x00000001;
const NEGOTIATE_OEM = 0x00000002;
const REQUEST_TARGET = 0x00000004;
const NEGOTIATE_NTLM = 0x00000200;
const NEGOTIATE_ALWAYS_SIGN = 0x00008000;
const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
/** Set by the server when its CHALLENGE carries target info (older servers send a shorter message). */
const NEGOTIATE_TARGET_INFO = 0x00800000;
const NEGOTIATE_128 = 0x20000000;
const CLIENT_FLAGS = NEGOTIATE_UNICODE | NEGOTIATE_OEM | REQUEST_TARGET | NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN | NEGOTIATE_EXTENDED_SESSIONSECURITY | NEGOTIATE_128;

/** The AV pair id (MS-NLMP 2.2.2.1) of a server-supplied timestamp. */
const AV_TIMESTAMP = 7;
const AV_EOL = 0;

/** What the proxy's CHALLENGE message carries that the answer needs. */
export interface NtlmChallenge {
  flags: number;
  serverChallenge: Buffer;
  targetInfo: Buffer;
}

/** The credentials, with the domain split off a `DOMAIN\user` name. */
export interface NtlmCredentials {
  user: string;
  domain: string;
  password: string;
}

const utf16 = (s: string) => Buffer.from(s, 'utf16le');
const hmacMd5 = (key: Buffer, ...data: Buffer[]) => data.reduce((h, d) => h.update(d), createHmac('md5', key)).digest();

/** Splits `DOMAIN\user` (the form Windows users type) into user and domain. */
export function ntlmCredentials(username: string, password: string): NtlmCredentials {
  const slash = username.indexOf('\\');
  return slash < 0 ? { user: username, domain: '', password } : { user: username.slice(slash + 1), domain: username.slice(0, slash), password };
}

/** NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 of the upper-cased user and the domain, keyed by the NT hash. */
export function ntowfv2(c: NtlmCredentials): Buffer {
  return hmacMd5(md4(utf16(c.password)), utf16(c.user.toUpperCase() + c.domain));
}

/** The NEGOTIATE message, base64, as the `NTLM` token of the first Proxy-Authorization. */
export function negotiateMessage(): string {
  const m = Buffer.alloc(32);
  SIGNATURE.copy(m, 0);
  m.writeUInt32LE(1, 8);
  m.writeUInt32LE(CLIENT_FLAGS, 12);
  // Empty domain and workstation fields, pointing at the end of the message.
  m.writeUInt32LE(32, 20);
  m.writeUInt32LE(32, 28);
  return m.toString('base64');
}

/** Reads a CHALLENGE message (base64); any malformation is a PROXY_REFUSED error, never a crash. */
export function parseChallengeMessage(token: string): NtlmChallenge {
  const bad = (why: string) => new BurrowError('PROXY_REFUSED', `The proxy sent a malformed NTLM challenge (${why}).`);
  const m = Buffer.from(token, 'base64');
  if (m.length < 32 || !m.subarray(0, 8).equals(SIGNATURE)) throw bad('no NTLMSSP signature');
  if (m.readUInt32LE(8) !== 2) throw bad('not a CHALLENGE message');
  const flags = m.readUInt32LE(20);
  const serverChallenge = Buffer.from(m.subarray(24, 32));
  let targetInfo = Buffer.alloc(0);
  if (flags & NEGOTIATE_TARGET_INFO) {
    if (m.length < 48) throw bad('target info fields missing');
    const length = m.readUInt16LE(40);
    const offset = m.readUInt32LE(44);
    if (offset + length > m.length) throw bad('target info out of bounds');
    targetInfo = Buffer.from(m.subarray(offset, offset + length));
  }
  return { flags, serverChallenge, targetInfo };
}

/** Whether the target info carries the server's timestamp (then the LMv2 response is left empty). */
function hasTimestamp(targetInfo: Buffer): boolean {
  for (let at = 0; at + 4 <= targetInfo.length;) {
    const id = targetInfo.readUInt16LE(at);
    if (id === AV_EOL) return false;
    if (id === AV_TIMESTAMP) return true;
    at += 4 + targetInfo.readUInt16LE(at + 2);
  }
  return false;
}

/** Now as a Windows FILETIME: 100 ns ticks since 1601-01-01, 8 bytes little endian. */
export function fileTime(ms: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeBigUInt64LE((BigInt(ms) + 11_644_473_600_000n) * 10_000n);
  return t;
}

/** The NTLMv2 and LMv2 responses (MS-NLMP 3.3.2) to a challenge. */
export function ntlmv2Responses(key: Buffer, challenge: Pick<NtlmChallenge, 'serverChallenge' | 'targetInfo'>, time: Buffer, clientChallenge: Buffer): { nt: Buffer; lm: Buffer } {
  const temp = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), time, clientChallenge, Buffer.alloc(4), challenge.targetInfo, Buffer.alloc(4)]);
  const proof = hmacMd5(key, challenge.serverChallenge, temp);
  const lm = hmacMd5(key, challenge.serverChallenge, clientChallenge);
  return { nt: Buffer.concat([proof, temp]), lm: Buffer.concat([lm, clientChallenge]) };
}

/** The AUTHENTICATE message, base64, answering `challenge` with NTLMv2. */
export function authenticateMessage(c: NtlmCredentials, challenge: NtlmChallenge, o: { now: number; workstation: string; clientChallenge?: Buffer }): string {
  const clientChallenge = o.clientChallenge ?? randomBytes(8);
  const { nt, lm } = ntlmv2Responses(ntowfv2(c), challenge, fileTime(o.now), clientChallenge);
  // With a server timestamp, MS-NLMP 3.1.5.1.2 has the client send Z(24) for the LM response.
  const lmResponse = hasTimestamp(challenge.targetInfo) ? Buffer.alloc(24) : lm;
  const unicode = (challenge.flags & NEGOTIATE_UNICODE) !== 0;
  const text = (s: string) => (unicode ? utf16(s) : Buffer.from(s, 'latin1'));
  const fields = [lmResponse, nt, text(c.domain), text(c.user), text(o.workstation.toUpperCase()), Buffer.alloc(0)];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = header.length;
  fields.forEach((f, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(f.length, at);
    header.writeUInt16LE(f.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += f.length;
  });
  header.writeUInt32LE((CLIENT_FLAGS & ~(NEGOTIATE_UNICODE | NEGOTIATE_OEM)) | (unicode ? NEGOTIATE_UNICODE : NEGOTIATE_OEM), 60);
  return Buffer.concat([header, ...fields]).toString('base64');
}
