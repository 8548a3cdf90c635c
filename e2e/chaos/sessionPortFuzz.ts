import fc from 'fast-check';
import net from 'node:net';
import tls from 'node:tls';
import type { ChaosContext } from './chaosContext.js';
import { serverRunning, sessionServes } from './probes.js';
import { FUZZ_SEED } from './sizes.js';

/** Writes `head` on a TLS connection to a session port and returns the raw bytes the port answers (until close or 3 s). */
function exchange(port: number, head: Buffer | string, localAddress = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const raw = net.connect({ host: '127.0.0.1', port, localAddress });
    raw.on('error', () => undefined);
    const s = tls.connect({ socket: raw, rejectUnauthorized: false });
    let out = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, 3_000);
    s.on('error', done);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', done);
    s.once('secureConnect', () => s.write(head));
  });
}

/** Status codes of every HTTP response in a raw answer, in order. */
function statuses(answer: string): number[] {
  return [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

/**
 * A session port under malformed HTTP: random request heads, 1 MiB of headers, request
 * smuggling (Content-Length with Transfer-Encoding, duplicate lengths), bad chunking, from
 * the admitted browser and from a stranger. Never a 5xx of our own, never two answers to
 * one smuggled request, and the session keeps serving.
 */
export async function sessionPortFuzz(ctx: ChaosContext): Promise<void> {
  const { size, figures, session } = ctx;
  const row = figures.row('session port');
  const cookie = `Cookie: ${session.cookie}\r\n`;
  const judge = (name: string, answer: string, o: { maxResponses?: number } = {}) => {
    row.cases += 1;
    const codes = statuses(answer);
    // 502 is the port's honest "node did not answer"; any other 5xx would be ours.
    const ours5xx = codes.filter((c) => c >= 500 && c !== 502);
    row.fiveXx += ours5xx.length;
    if (ours5xx.length) figures.fail('session port', `${name}: answered ${ours5xx.join(',')}`);
    if (codes.length > (o.maxResponses ?? 1)) figures.fail('session port', `${name}: ${codes.length} responses to one request (smuggled): ${codes.join(',')}`);
    if (codes.some((c) => c === 431 || c === 400 || c === 413)) row.limitsHit += 1;
  };
  const smuggle = [
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\nA\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Content-Length: 5\r\nContent-Length: 40\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: x\r\n${cookie}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`,
    `GET / HTTP/1.1\r\nHost: x\r\n${cookie}X: a\nb\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: x\r\n${cookie} folded: header\r\n\r\n`,
  ];
  // The control: a well-formed request through the same raw path is proxied to the WebUI.
  const control = statuses(await exchange(session.port, `GET / HTTP/1.1\r\nHost: x\r\n${cookie}Connection: close\r\n\r\n`));
  figures.check('session port', control[0] === 200, `a well-formed raw request got ${control.join(',') || 'nothing'}, not 200`);
  for (const [i, req] of smuggle.entries()) judge(`smuggling case ${i}`, await exchange(session.port, req));
  // 1 MiB of headers, admitted and not.
  const big = `GET / HTTP/1.1\r\nHost: x\r\n${cookie}${Array.from({ length: 1024 }, (_, i) => `X-Pad-${i}: ${'a'.repeat(1_000)}\r\n`).join('')}\r\n`;
  judge('1 MiB headers (admitted)', await exchange(session.port, big));
  judge('1 MiB headers (stranger)', await exchange(session.port, big, '127.0.0.77'));
  // Random request heads.
  const head = fc.tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'CONNECT', 'TRACE', 'GE T', ''),
    fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom('/', '*', 'http://evil/', '/%00', '/..%2f..')),
    fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', ''),
    fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 60 })), { maxLength: 6 }),
    fc.boolean(),
  );
  const d = await fc.check(fc.asyncProperty(head, async ([method, path, version, headers, admitted]) => {
    const lines = [`${method} ${path} ${version}`, 'Host: x', ...(admitted ? [cookie.trim()] : []), ...headers.map(([k, v]) => `${k}: ${v}`)];
    judge('random head', await exchange(session.port, `${lines.join('\r\n')}\r\n\r\n`, admitted ? '127.0.0.1' : '127.0.0.78'));
    return serverRunning(ctx.stack);
  }), { seed: FUZZ_SEED, numRuns: size.sessionPortCases });
  if (d.failed) figures.fail('session port', `random heads: ${String(d.errorInstance ?? 'the server died')} (seed ${FUZZ_SEED})`);
  if (!serverRunning(ctx.stack)) {
    row.crashes += 1;
    figures.fail('session port', 'the server died');
    return;
  }
  figures.check('session port', await sessionServes(session), 'the session stopped serving after malformed HTTP');
}
