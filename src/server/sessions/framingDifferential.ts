/**
 * The differential framing property (test-only: the unit suite runs it CI-sized, `make chaos`
 * full-size). Generated and mutated request streams go both through burrow's own HTTP/1.1
 * framing and through llhttp (Node's parser, strict defaults, behind a raw socket); whatever
 * burrow forwards, llhttp must frame the same way, and a WebUI served by llhttp must receive
 * exactly the messages burrow meant to forward.
 */
import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { BodyTracker, requestBody } from './bodyFraming.js';
import { HeadCollector, HttpMessageError, MAX_REQUEST_HEAD_BYTES, parseRequestHead, writeHead, type Header } from './httpHead.js';

/** One request as a parser framed it. */
export interface FramedRequest {
  method: string;
  target: string;
  fields: Header[];
  /** The body's bytes, chunked coding removed (latin1). */
  body: string;
}

interface LlhttpReading {
  messages: FramedRequest[];
  /** Whether the last message asked for the connection to close (llhttp reads no further). */
  closedAfterLast: boolean;
}

/** A Node HTTP server that records every complete request per client port. */
export class LlhttpReader {
  private readonly seen = new Map<number, LlhttpReading>();
  private readonly server = http.createServer((req, res) => {
    const reading = this.reading(req.socket.remotePort ?? 0);
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const fields: Header[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) fields.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
      reading.messages.push({ method: req.method ?? '', target: req.url ?? '', fields, body: Buffer.concat(parts).toString('latin1') });
      res.end('ok');
      reading.closedAfterLast = !res.shouldKeepAlive;
    });
  });

  private reading(port: number): LlhttpReading {
    let r = this.seen.get(port);
    if (!r) this.seen.set(port, (r = { messages: [], closedAfterLast: false }));
    return r;
  }

  /** Starts listening on 127.0.0.1, a free port. */
  async start(): Promise<void> {
    this.server.on('clientError', (_err, socket) => socket.destroy());
    this.server.on('upgrade', (_req, socket) => socket.destroy());
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /** Sends `bytes` on a fresh connection, half-closes it, and answers what llhttp framed. */
  async read(bytes: Buffer): Promise<LlhttpReading> {
    const s = net.connect((this.server.address() as AddressInfo).port, '127.0.0.1');
    s.on('error', () => undefined);
    s.resume();
    await once(s, 'connect');
    const port = s.localPort ?? 0;
    s.end(bytes);
    await once(s, 'close');
    const r = this.reading(port);
    this.seen.delete(port);
    return r;
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/**
 * Burrow's framing of a client byte stream, as the session relay applies it: the complete
 * requests it forwards, and the exact bytes a WebUI receives for them.
 */
export function burrowFraming(stream: Buffer): { messages: FramedRequest[]; forwarded: Buffer } {
  const messages: FramedRequest[] = [];
  const out: Buffer[] = [];
  let rest = stream;
  try {
    while (rest.length > 0) {
      const got = new HeadCollector(MAX_REQUEST_HEAD_BYTES, true).push(rest);
      if (!got) break;
      const head = parseRequestHead(got.head);
      const tracker = new BodyTracker(requestBody(head));
      const taken = tracker.take(got.rest);
      const headBytes = writeHead(`${head.method} ${head.target} HTTP/${head.version}`, head.headers);
      out.push(headBytes, got.rest.subarray(0, taken));
      if (!tracker.done) break;
      messages.push({ method: head.method, target: head.target, fields: head.headers, body: '' });
      rest = got.rest.subarray(taken);
    }
  } catch (err) {
    if (!(err instanceof HttpMessageError)) throw err;
  }
  return { messages, forwarded: Buffer.concat(out) };
}

const TCHAR = fc.constantFrom(...'abcXYZ-_0'.split(''));
const OWS = fc.constantFrom('', ' ', '\t', ' \t');
const ODD_WS = fc.constantFrom('\x0b', '\x0c', '\xa0', '\r', '\n', '\x00');
const FIELD_NAME = fc.oneof(
  fc.constantFrom('X-A', 'Cookie', 'Accept', 'Transfer-Encoding', 'Content-Length', 'Transfer_Encoding', 'Content_Length', 'TE', 'Trailer'),
  fc.string({ unit: TCHAR, minLength: 1, maxLength: 6 }),
);
const FIELD_VALUE = fc.oneof(fc.constantFrom('chunked', 'gzip, chunked', '5', '0', '3, 3', 'a=b; c=d'), fc.string({ unit: fc.constantFrom(...'ab1 ,;='.split('')), maxLength: 8 }));
const FIELD = fc.tuple(FIELD_NAME, OWS, FIELD_VALUE, OWS).map(([n, a, v, b]) => `${n}:${a}${v}${b}\r\n`);
const CHUNK = fc.tuple(fc.string({ unit: fc.constantFrom(...'xyz\r\n'.split('')), minLength: 1, maxLength: 20 }), fc.constantFrom('', ';e', ';e=v', ';e="q"'))
  .map(([data, ext]) => `${data.length.toString(16)}${ext}\r\n${data}\r\n`);
const BODY = fc.oneof(
  fc.constant({ fields: '', body: '' }),
  fc.string({ unit: fc.constantFrom(...'pq\r\n'.split('')), maxLength: 20 }).map((b) => ({ fields: `Content-Length: ${b.length}\r\n`, body: b })),
  fc.tuple(fc.array(CHUNK, { maxLength: 3 }), fc.array(FIELD, { maxLength: 2 })).map(([chunks, trailers]) => ({
    fields: 'Transfer-Encoding: chunked\r\n',
    body: `${chunks.join('')}0\r\n${trailers.join('')}\r\n`,
  })),
);
const REQUEST = fc
  .record({
    leading: fc.boolean(),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    path: fc.string({ unit: fc.constantFrom(...'ab/?=&%._~'.split('')), maxLength: 10 }),
    fields: fc.array(FIELD, { maxLength: 4 }),
    body: BODY,
  })
  .map((r) => `${r.leading ? '\r\n' : ''}${r.method} /${r.path} HTTP/1.1\r\nHost: webui\r\n${r.fields.join('')}${r.body.fields}\r\n${r.body.body}`);
/** A byte replaced, inserted or removed: where parsers most often part ways. */
const MUTATION = fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fc.oneof(ODD_WS, fc.constantFrom(' ', '\t', ':', ';', '0', 'a', '_', '-', '\r\n')));

/** A stream of one to three requests, sometimes mutated after the first request line. */
export const REQUEST_STREAM = fc.tuple(fc.array(REQUEST, { minLength: 1, maxLength: 3 }), fc.array(MUTATION, { maxLength: 2 })).map(([requests, mutations]) => {
  let text = requests.join('');
  // Methods llhttp does not know are refused by it and passed by burrow: mutate after the first line.
  const from = text.indexOf('\r\n', 2) + 2;
  for (const [at, op, piece] of mutations) {
    const i = from + (at % Math.max(1, text.length - from));
    if (op === 'replace') text = text.slice(0, i) + piece + text.slice(i + 1);
    else if (op === 'insert') text = text.slice(0, i) + piece + text.slice(i);
    else text = text.slice(0, i) + text.slice(i + 1);
  }
  return Buffer.from(text, 'latin1');
});

/** Strips bodies (burrow does not decode them) to compare heads. */
const headsOf = (ms: readonly FramedRequest[]) => ms.map(({ method, target, fields }) => ({ method, target, fields }));

/**
 * The property itself: burrow's framing of `stream` agrees with llhttp's on every request
 * burrow forwards, and a WebUI (llhttp) reading burrow's forwarded bytes gets exactly them.
 */
export async function framingAgrees(llhttp: LlhttpReader, stream: Buffer): Promise<void> {
  const burrow = burrowFraming(stream);
  const reference = await llhttp.read(stream);
  const webui = await llhttp.read(burrow.forwarded);
  const n = burrow.messages.length;
  const show = (what: string) => `${what}\nstream: ${JSON.stringify(stream.toString('latin1'))}`;
  const closed = (r: LlhttpReading) => r.closedAfterLast && r.messages.length > 0;
  if (webui.messages.length < n && !closed(webui)) throw new Error(show(`the WebUI received ${webui.messages.length} of the ${n} requests burrow forwarded`));
  if (webui.messages.length > n) throw new Error(show(`the WebUI received ${webui.messages.length} requests where burrow forwarded ${n}: one was smuggled`));
  if (JSON.stringify(headsOf(webui.messages)) !== JSON.stringify(headsOf(burrow.messages.slice(0, webui.messages.length)))) {
    throw new Error(show(`the WebUI read other heads than burrow: ${JSON.stringify(headsOf(webui.messages))} vs ${JSON.stringify(headsOf(burrow.messages))}`));
  }
  const stoppedEarly = reference.messages.length < webui.messages.length && !closed(reference);
  if (stoppedEarly) throw new Error(show(`llhttp framed ${reference.messages.length} requests where burrow forwarded ${n}`));
  const compared = Math.min(webui.messages.length, reference.messages.length);
  const same = JSON.stringify(reference.messages.slice(0, compared)) === JSON.stringify(webui.messages.slice(0, compared));
  if (!same) throw new Error(show(`llhttp framed the stream otherwise: ${JSON.stringify(reference.messages)} vs ${JSON.stringify(webui.messages)}`));
}
