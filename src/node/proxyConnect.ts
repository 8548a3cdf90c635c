import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { BurrowError } from '../shared/errors.js';
import { authenticateMessage, negotiateMessage, ntlmCredentials, parseChallengeMessage } from './ntlm.js';

/** An HTTP(S) proxy and the credentials for it, in the clear (only in memory). */
export interface ProxyTarget {
  /** http://host:port or https://host:port, without credentials. */
  url: string;
  username?: string;
  password?: string;
}

/** The head of the proxy's answer to CONNECT. */
interface ProxyAnswer {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  socket: Duplex;
}

const HEAD_MAX = 16 * 1024;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Opens a TCP (or TLS, for https://) connection to the proxy itself. */
function dialProxy(proxy: URL, timeoutMs: number): Promise<Duplex> {
  const port = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
  const host = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const socket = proxy.protocol === 'https:' ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    const fail = (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new BurrowError('SERVER_UNREACHABLE', `Cannot reach the proxy ${proxy.host}: ${err.code ?? err.message}.`, { cause: err }));
    };
    socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.once('error', fail);
    socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}

/** Sends CONNECT and reads the answer's head; bytes after it stay in the socket. */
function sendConnect(socket: Duplex, authority: string, auth: string | undefined, timeoutMs: number): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => done(new BurrowError('SERVER_UNREACHABLE', 'The proxy did not answer CONNECT in time.')), timeoutMs);
    const done = (err: Error | null, answer?: ProxyAnswer) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(answer as ProxyAnswer);
    };
    const onError = (err: Error) => done(new BurrowError('SERVER_UNREACHABLE', `The proxy connection failed: ${err.message}.`, { cause: err }));
    const onClose = () => done(new BurrowError('SERVER_UNREACHABLE', 'The proxy closed the connection without answering CONNECT.'));
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > HEAD_MAX) done(new BurrowError('SERVER_UNREACHABLE', 'The proxy sent an oversized answer to CONNECT.'));
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
      if (!m) {
        done(new BurrowError('SERVER_UNREACHABLE', 'The proxy did not answer CONNECT with HTTP.'));
        return;
      }
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const k = line.slice(0, i).trim().toLowerCase();
        headers.set(k, [...(headers.get(k) ?? []), line.slice(i + 1).trim()]);
      }
      const rest = head.subarray(end + 4);
      // Stop the flow before handing the socket on, and give back the bytes after the
      // head (the start of the TLS handshake) for the next reader.
      socket.removeListener('data', onData);
      socket.pause();
      if (rest.length) socket.unshift(rest);
      done(null, { status: Number(m[1]), reason: m[2] ?? '', headers, socket });
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    // A socket reused after an answer (NTLM's second round) was paused when that answer was read.
    socket.resume();
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, 'User-Agent: burrow-agent', 'Proxy-Connection: keep-alive'];
    if (auth) lines.push(`Proxy-Authorization: ${auth}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** Parses `Digest realm="x", nonce="y", qop="auth"` into its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(header.slice(sp + 1)); m; m = re.exec(header.slice(sp + 1))) params[(m[1] as string).toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

/** The Proxy-Authorization value answering a Digest challenge (RFC 7616, MD5, qop=auth). */
export function digestAuthorization(
  params: Record<string, string>,
  user: string,
  password: string,
  request: { method: string; uri: string },
  cnonce = randomBytes(8).toString('hex'),
): string {
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'MD5-SESS') throw new BurrowError('VALIDATION', `The proxy asks for Digest with ${algorithm}, which burrow does not support; use MD5 or Basic.`);
  const realm = params.realm ?? '';
  const nonce = params.nonce ?? '';
  const nc = '00000001';
  let ha1 = md5(`${user}:${realm}:${password}`);
  if (algorithm === 'MD5-SESS') ha1 = md5(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = md5(`${request.method}:${request.uri}`);
  const qop = (params.qop ?? '').split(',').map((s) => s.trim()).includes('auth') ? 'auth' : undefined;
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [`username="${user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${request.uri}"`, `algorithm=${params.algorithm ?? 'MD5'}`, `response="${response}"`];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (params.opaque !== undefined) parts.push(`opaque="${params.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * Reads and drops the body of an answer, so the next request can go on the same connection
 * (NTLM authenticates the connection, not a request). Squid sizes its 407 pages with
 * Content-Length; a chunked or unsized body cannot be skipped safely and is refused.
 */
function drainBody(a: ProxyAnswer, timeoutMs: number): Promise<void> {
  const length = Number(a.headers.get('content-length')?.[0] ?? '0');
  if (a.headers.has('transfer-encoding') || !Number.isSafeInteger(length) || length < 0 || length > HEAD_MAX * 64) {
    return Promise.reject(new BurrowError('PROXY_REFUSED', 'The proxy answered the NTLM negotiation with a body burrow cannot skip (no Content-Length).'));
  }
  return new Promise((resolve, reject) => {
    let left = length;
    const timer = setTimeout(() => done(new BurrowError('SERVER_UNREACHABLE', 'The proxy did not finish its NTLM challenge in time.')), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      a.socket.removeListener('data', onData);
      a.socket.removeListener('close', onClose);
      a.socket.pause();
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      if (chunk.length > left) a.socket.unshift(chunk.subarray(left));
      left -= Math.min(left, chunk.length);
      if (left === 0) done();
    };
    const onClose = () => done(new BurrowError('PROXY_REFUSED', 'The proxy closed the connection during NTLM authentication; NTLM needs a kept-alive connection to the proxy.'));
    if (left === 0) {
      done();
      return;
    }
    a.socket.on('data', onData);
    a.socket.once('close', onClose);
    a.socket.resume();
  });
}

/** The NTLM handshake: NEGOTIATE, the proxy's CHALLENGE, then AUTHENTICATE, all on one connection. */
async function connectWithNtlm(proxy: URL, authority: string, p: ProxyTarget & { username: string }, timeoutMs: number): Promise<Duplex> {
  const socket = await dialProxy(proxy, timeoutMs);
  const first = await sendConnect(socket, authority, `NTLM ${negotiateMessage()}`, timeoutMs);
  if (first.status >= 200 && first.status < 300) return socket;
  const token = (first.headers.get('proxy-authenticate') ?? []).map((h) => /^NTLM\s+(\S+)/i.exec(h)?.[1]).find((t) => t !== undefined);
  if (first.status !== 407 || token === undefined) {
    socket.destroy();
    throw refusal(first, proxy, authority, true);
  }
  try {
    const challenge = parseChallengeMessage(token);
    await drainBody(first, timeoutMs);
    const auth = authenticateMessage(ntlmCredentials(p.username, p.password ?? ''), challenge, { now: Date.now(), workstation: hostname() });
    const second = await sendConnect(socket, authority, `NTLM ${auth}`, timeoutMs);
    if (second.status >= 200 && second.status < 300) return socket;
    throw refusal(second, proxy, authority, true);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

function refusal(a: ProxyAnswer, proxy: URL, authority: string, triedAuth: boolean): BurrowError {
  if (a.status === 407) {
    return new BurrowError(
      'PROXY_REFUSED',
      triedAuth
        ? `The proxy ${proxy.host} refused the credentials (407 ${a.reason}); check the user name and password with "burrow node proxy set".`
        : `The proxy ${proxy.host} requires authentication (407 ${a.reason}); give a user and password with "burrow node proxy set".`,
    );
  }
  if (a.status === 403) return new BurrowError('PROXY_REFUSED', `The proxy ${proxy.host} forbids connections to ${authority} (403 ${a.reason}); ask its administrator to allow CONNECT to that port.`);
  return new BurrowError('PROXY_REFUSED', `The proxy ${proxy.host} refused CONNECT to ${authority} (${a.status} ${a.reason}).`);
}

/**
 * Opens a tunnel through an HTTP(S) proxy with CONNECT: no auth, NTLMv2, Digest or Basic,
 * as the proxy's 407 challenge offers, the strongest first. Resolves to the raw stream to `host:port`; every failure is
 * a PROXY_REFUSED or SERVER_UNREACHABLE error saying what the proxy said.
 */
export async function connectThroughProxy(p: ProxyTarget, host: string, port: number, timeoutMs = 15_000): Promise<Duplex> {
  const proxy = new URL(p.url);
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const first = await sendConnect(await dialProxy(proxy, timeoutMs), authority, undefined, timeoutMs);
  if (first.status >= 200 && first.status < 300) return first.socket;
  first.socket.destroy();
  if (first.status !== 407 || p.username === undefined) throw refusal(first, proxy, authority, false);
  const challenges = (first.headers.get('proxy-authenticate') ?? []).map(parseChallenge);
  if (challenges.some((c) => c.scheme === 'ntlm')) return connectWithNtlm(proxy, authority, { ...p, username: p.username }, timeoutMs);
  const digest = challenges.find((c) => c.scheme === 'digest');
  const basic = challenges.find((c) => c.scheme === 'basic');
  const password = p.password ?? '';
  let auth: string;
  if (digest) auth = digestAuthorization(digest.params, p.username, password, { method: 'CONNECT', uri: authority });
  else if (basic) auth = `Basic ${Buffer.from(`${p.username}:${password}`).toString('base64')}`;
  else throw new BurrowError('PROXY_REFUSED', `The proxy ${proxy.host} asks for an authentication scheme burrow does not support (${challenges.map((c) => c.scheme).join(', ') || 'none given'}); use NTLM, Digest or Basic.`);
  const second = await sendConnect(await dialProxy(proxy, timeoutMs), authority, auth, timeoutMs);
  if (second.status >= 200 && second.status < 300) return second.socket;
  second.socket.destroy();
  throw refusal(second, proxy, authority, true);
}
