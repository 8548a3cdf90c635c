import fc from 'fast-check';
import https from 'node:https';
import { apiRoutes } from '../../src/server/http/app.js';
import type { ApiDeps } from '../../src/server/http/apiDeps.js';
import { sourceAddress, type ChaosContext } from './chaosContext.js';
import { serverPort, serverRssKiB, serverRunning } from './probes.js';
import { FUZZ_SEED } from './sizes.js';

/** Routes whose authorized call would end the fuzzer's own credential; they are fuzzed without one. */
const SELF_ENDING = new Set(['POST /v1/auth/logout']);

const printable = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);
const pathValue = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom('%', '%E0%A4%A', '%00', '..%2F..%2Fetc%2Fpasswd', '%C0%AE%C0%AE', 'x'.repeat(4_000), '%F0%9F%92%A9', '__proto__', 'constructor'),
);
const queryString = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })).map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom('%%', 'a=%E0', 'limit=-1', 'limit=1e309', 'limit=99999999999', 'before=abc', 'all=true&all=false', 'a[b][c]=d', 'format=xml', `q=${'z'.repeat(8_000)}`),
);
/** Field names our schemas use, so values of wrong types and sizes reach past "unknown key". */
const fieldNames = ['email', 'password', 'totp', 'code', 'name', 'uses', 'ttl', 'group', 'role', 'scope', 'token', 'publicKey', 'service', 'type', 'node', 'autoApprove', 'parentId', 'current', 'services', 'agentVersion', 'remember'];
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 200 }), fc.constantFrom(null, -1, 0, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER * 4, '', 'x'.repeat(70_000), [], {}));
const body = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.constantFrom(...fieldNames), anyValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 300 }),
  fc.constantFrom('[' .repeat(10_000), '{"a":', '\u0000\u0001', '{"__proto__":{"admin":true}}', 'null', '1'.repeat(100_000)),
);
const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '*/*');

/** One fuzzed request's answer: status (0 if the connection failed) and the first bytes of the body. */
function send(port: number, method: string, path: string, headers: Record<string, string>, data: string | undefined, localAddress: string): Promise<{ status: number; text: string; error?: string }> {
  return new Promise((resolve) => {
    let status = 0;
    const req = https.request({ host: '127.0.0.1', port, method, path, headers, rejectUnauthorized: false, agent: false, localAddress, timeout: 10_000 }, (res) => {
      status = res.statusCode ?? 0;
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        // Streams (the event feed) never end; the status and a first chunk are all we judge.
        if (text.length > 65_536 || (res.headers['content-type'] ?? '').startsWith('text/event-stream')) res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    // A server may answer and close before a large body is all sent: the client then sees
    // EPIPE/ECONNRESET, but the answer it already got is what counts.
    req.on('error', (err) => resolve({ status, text: '', error: err.message }));
    req.end(data);
  });
}

/**
 * Property-based fuzzing of every route of the API table (method, path parameters, query,
 * headers, body) with and without a valid credential, from fresh loopback source addresses.
 * Every answer must be < 500 and, when an error, the `{"error":{"code","message"}}` shape.
 */
export async function apiFuzz(ctx: ChaosContext): Promise<void> {
  const { stack, size, figures } = ctx;
  const token = (await stack.api<{ token: string }>('POST', '/v1/tokens', { name: 'chaos-fuzz', scope: 'admin', ttl: '1h' })).token;
  const routes = apiRoutes(new Proxy({}, { get: () => undefined }) as ApiDeps).filter((r) => r.path !== '/v1/tunnel');
  const port = serverPort(stack);
  const rssBefore = serverRssKiB(stack);
  let n = 0;
  let last = '';
  for (const route of routes) {
    const target = route.path === '/v1/enroll' ? 'enroll endpoint' : 'api routes';
    const row = figures.row(target);
    const key = `${route.method} ${route.path}`;
    const auth = fc.constantFrom(...(SELF_ENDING.has(key) ? ['none', 'junk'] : ['none', 'valid', 'valid', 'junk', 'basic']));
    const method = fc.oneof({ weight: 6, arbitrary: fc.constant<string>(route.method) }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'BREW', 'M-SEARCH') });
    const property = fc.asyncProperty(method, fc.array(pathValue, { minLength: 2, maxLength: 2 }), queryString, contentType, auth, printable, body, async (verb, params, query, type, authKind, junk, data) => {
      let i = 0;
      const path = route.path.replace(/:[a-z]+/g, () => params[i++ % 2] ?? 'x') + (query ? `?${query}` : '');
      const headers: Record<string, string> = {};
      if (type) headers['content-type'] = type;
      if (authKind === 'valid') headers.authorization = `Bearer ${token}`;
      if (authKind === 'junk') headers.authorization = `Bearer ${junk}`;
      if (authKind === 'basic') headers.authorization = `Basic ${Buffer.from(junk).toString('base64')}`;
      if (junk.length % 3 === 0) headers.cookie = `burrow_console=${encodeURIComponent(junk)}`;
      n += 1;
      const r = await send(port, verb, path, headers, data, sourceAddress(n));
      last = `${verb} ${path.slice(0, 200)} -> ${r.status} ${r.error ?? ''} ${r.text.slice(0, 300)}`;
      row.cases += 1;
      if (r.status === 429) row.limitsHit += 1;
      if (r.status >= 500) row.fiveXx += 1;
      if (!serverRunning(stack)) return false;
      // Cut before any answer: only acceptable for a body the server may refuse to read.
      if (r.status === 0) return (data?.length ?? 0) > 65_536;
      if (r.status >= 400 && r.text) {
        const e = (JSON.parse(r.text) as { error?: { code?: unknown } }).error;
        if (typeof e?.code !== 'string') return false;
      }
      return r.status < 500;
    });
    const details = await fc.check(property, { seed: FUZZ_SEED, numRuns: size.fuzzRunsPerRoute, endOnFailure: true });
    if (details.failed) figures.fail(target, `${key} (fast-check seed ${FUZZ_SEED}, path ${details.counterexamplePath ?? '?'}): ${details.errorInstance ? String(details.errorInstance) : ''} last: ${last}`.slice(0, 1_500));
  }
  if (!serverRunning(stack)) {
    figures.row('api routes').crashes += 1;
    figures.fail('api routes', 'the server died during API fuzzing');
    return;
  }
  const growthMiB = (serverRssKiB(stack) - rssBefore) / 1024;
  figures.check('api routes', growthMiB < 200, `server memory grew by ${growthMiB.toFixed(0)} MiB during API fuzzing`);
}
