import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { BurrowError, isErrorCode as isKnown } from './errors.js';
import { peerMatchesPin, pinOfRaw } from './tlsPin.js';

type CreateConnection = (options: tls.ConnectionOptions, cb: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined;

/**
 * Told of each handshake's peer (its pin, whether it matched); returning true hands an
 * unmatched socket over anyway, for a caller that authenticates the server another way
 * (the node's tunnel: SSH with the pinned host key, see src/node/tlsRepin.ts).
 */
export type PeerCheck = (peerPin: string, matched: boolean) => boolean;

/**
 * An HTTPS agent that trusts exactly one certificate, named by its pin, whatever signed
 * it. The socket is handed to the request only after the handshake matched the pin (or
 * `onPeer` took it), so not one byte of a request (tokens included) reaches an impostor.
 */
export function pinnedAgent(pin: string, dial?: (host: string, port: number) => Promise<Duplex>, onPeer?: PeerCheck): https.Agent {
  const agent = new https.Agent({ keepAlive: false });
  const createConnection: CreateConnection = (options, cb) => {
    // With `dial` (e.g. through a proxy) TLS runs over the stream it gives.
    if (dial) {
      dial(options.host ?? 'localhost', Number(options.port ?? 443)).then(
        (raw) => handshake(options, cb, raw),
        (err: Error) => cb(err),
      );
      return undefined;
    }
    handshake(options, cb);
    return undefined;
  };
  const handshake = (options: tls.ConnectionOptions, cb: (err: Error | null, socket?: Duplex) => void, raw?: Duplex) => {
    const socket = tls.connect({ ...options, ...(raw ? { socket: raw } : {}), rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    socket.once('secureConnect', () => {
      socket.removeListener('error', onError);
      const peer = socket.getPeerCertificate();
      const matched = peerMatchesPin(peer, pin);
      if (matched || (onPeer && peer.raw && onPeer(pinOfRaw(peer.raw), false))) {
        if (matched && peer.raw) onPeer?.(pinOfRaw(peer.raw), true);
        cb(null, socket);
      } else {
        socket.destroy();
        cb(new BurrowError('TLS_PIN_MISMATCH', `The server's TLS certificate does not match the pinned one (${pin}); someone may be intercepting, or the server's certificate changed.`));
      }
    });
    const onError = (err: Error) => cb(err);
    socket.once('error', onError);
  };
  Object.assign(agent, { createConnection });
  return agent;
}

/** Options of one JSON request. */
export interface JsonRequest {
  method?: string;
  body?: unknown;
  token?: string;
  /** Pin of the server certificate; without it the system CAs decide. */
  pin?: string;
  timeoutMs?: number;
}

/** Sends a request and collects the whole answer (API answers are small). */
function send(url: string, r: JsonRequest): Promise<{ status: number; text: string }> {
  const payload = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: r.method ?? 'GET', headers, ...(r.pin ? { agent: pinnedAgent(r.pin) } : {}), timeout: r.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new BurrowError('SERVER_UNREACHABLE', `The server at ${url} did not answer in time.`)));
    req.on('error', (err: Error) => {
      if (err instanceof BurrowError) reject(err);
      else reject(new BurrowError('SERVER_UNREACHABLE', `Cannot reach ${new URL(url).origin}: ${(err as NodeJS.ErrnoException).code ?? err.message}.`, { cause: err }));
    });
    req.end(payload);
  });
}

function parse(url: string, status: number, text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    throw new BurrowError('SERVER_UNREACHABLE', `The server at ${url} answered ${status} with something that is not JSON; is this a burrow server?`);
  }
}

/**
 * Sends a JSON request and returns the parsed answer; an API error body becomes a
 * BurrowError with the server's code, a network failure SERVER_UNREACHABLE.
 */
export async function requestJson<T>(url: string, r: JsonRequest = {}): Promise<T> {
  const { status, text } = await send(url, r);
  const body = parse(url, status, text);
  if (status >= 400) throw errorFromBody(body, status);
  return body as T;
}

/** Like requestJson, for answers that are text (exports); errors are still JSON. */
export async function requestText(url: string, r: JsonRequest = {}): Promise<string> {
  const { status, text } = await send(url, r);
  if (status >= 400) throw errorFromBody(parse(url, status, text), status);
  return text;
}

/**
 * Sends a GET and hands back the answer as a stream when it is a success (a download);
 * an error answer is read whole and thrown as the API's BurrowError.
 */
export function requestStream(url: string, r: Omit<JsonRequest, 'method' | 'body'> = {}): Promise<IncomingMessage> {
  const headers: Record<string, string> = { accept: '*/*' };
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'GET', headers, ...(r.pin ? { agent: pinnedAgent(r.pin) } : {}), timeout: r.timeoutMs ?? 30_000 }, (res) => {
      // The timeout guarded the wait for the answer; a large download may take as long as it needs.
      req.setTimeout(0);
      const status = res.statusCode ?? 500;
      if (status < 400) return resolve(res);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          reject(errorFromBody(parse(url, status, Buffer.concat(chunks).toString('utf8')), status));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new BurrowError('SERVER_UNREACHABLE', `The server at ${url} did not answer in time.`)));
    req.on('error', (err: Error) => {
      if (err instanceof BurrowError) reject(err);
      else reject(new BurrowError('SERVER_UNREACHABLE', `Cannot reach ${new URL(url).origin}: ${(err as NodeJS.ErrnoException).code ?? err.message}.`, { cause: err }));
    });
    req.end();
  });
}

function errorFromBody(body: unknown, status: number): BurrowError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const message = typeof e?.message === 'string' ? e.message : `The server answered HTTP ${status}.`;
  const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
  return new BurrowError(isKnown(code) ? code : 'INTERNAL', message);
}
