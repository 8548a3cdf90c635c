import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { pino } from 'pino';
import { FakeClock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { ApiState, Principal } from './apiContext.js';
import { accessLog } from './accessLog.js';
import { errorMiddleware } from './errorMiddleware.js';
import { capturedLog } from '../testing/capturedLog.js';

/** A small app with the real middlewares: a route that takes 250 ms of (fake) time, one that fails, one that signs in. */
async function serve() {
  const { log, lines } = capturedLog();
  const answered: [string, string, number][] = [];
  const clock = new FakeClock(1_000_000);
  const app = new Koa<ApiState>();
  app.silent = true;
  app.use(accessLog({ clock, log: log, observer: { requestAnswered: (...a) => answered.push(a) } }));
  app.use(errorMiddleware(pino({ level: 'silent' })));
  app.use(async (ctx, next) => {
    ctx.state.clientIp = '127.0.0.1';
    await next();
  });
  const router = new Router<ApiState>();
  router.get('/v1/nodes/:id', (ctx) => {
    ctx.state.principal = { userId: 'usr_alice' } as Principal;
    clock.advance(250);
    ctx.body = { id: ctx.params.id };
  });
  router.get('/v1/broken', () => {
    throw new BurrowError('NODE_OFFLINE', 'Node gw-17 is offline.');
  });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, lines, answered, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The access-log line of the request with this id, once written (after the answer is done). */
async function lineOf(lines: Record<string, unknown>[], reqId: string | null): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = lines.find((l) => l.reqId === reqId);
    if (line) return line;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no access-log line for ${reqId}`);
}

describe('access log and request ids', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    s = await serve();
  });
  after(() => s.close());

  it('echoes a generated X-Request-Id and logs method, route pattern, path, status, duration and user', async () => {
    const res = await fetch(`${s.url}/v1/nodes/nod_1`);
    assert.equal(res.status, 200);
    const id = res.headers.get('x-request-id');
    assert.match(id ?? '', /^req_[A-Za-z0-9_-]{12}$/);
    const line = await lineOf(s.lines, id);
    assert.deepEqual(
      { method: line.method, route: line.route, path: line.path, status: line.status, durationMs: line.durationMs, user: line.user, ip: line.ip },
      { method: 'GET', route: '/v1/nodes/:id', path: '/v1/nodes/nod_1', status: 200, durationMs: 250, user: 'usr_alice', ip: '127.0.0.1' },
    );
    assert.deepEqual(s.answered.at(-1), ['GET', '/v1/nodes/:id', 200]);
  });

  it('never logs the query string, so a token in it stays out of the log', async () => {
    const res = await fetch(`${s.url}/v1/nodes/nod_2?token=brt_secret-in-the-query&burrow_token=another-secret`);
    const line = await lineOf(s.lines, res.headers.get('x-request-id'));
    assert.equal(line.path, '/v1/nodes/nod_2');
    const text = JSON.stringify(line);
    assert.ok(!text.includes('secret'), text);
  });

  it('keeps a well-formed incoming request id and replaces a malformed or long one', async () => {
    const kept = await fetch(`${s.url}/v1/nodes/x`, { headers: { 'X-Request-Id': 'lb-7f3a.2' } });
    assert.equal(kept.headers.get('x-request-id'), 'lb-7f3a.2');
    for (const bad of ['has space', 'a'.repeat(65), '{"forged":1}', 'x\u00e9']) {
      const res = await fetch(`${s.url}/v1/nodes/x`, { headers: { 'X-Request-Id': encodeURI(bad) === bad ? bad : encodeURIComponent(bad) } });
      const id = res.headers.get('x-request-id') ?? '';
      assert.match(id, /^req_/, `replaced: ${bad}`);
    }
  });

  it('puts the request id into error bodies, and logs failed and unknown routes too', async () => {
    const res = await fetch(`${s.url}/v1/broken`, { headers: { 'X-Request-Id': 'trace-42' } });
    assert.equal(res.status, 409);
    assert.deepEqual(await res.json(), { error: { code: 'NODE_OFFLINE', message: 'Node gw-17 is offline.', requestId: 'trace-42' } });
    assert.equal((await lineOf(s.lines, 'trace-42')).status, 409);
    const missing = await fetch(`${s.url}/nowhere?secret=1`);
    const body = (await missing.json()) as { error: { requestId: string } };
    assert.equal(body.error.requestId, missing.headers.get('x-request-id'));
    const line = await lineOf(s.lines, body.error.requestId);
    assert.deepEqual([line.status, line.route, line.path, line.user], [404, null, '/nowhere', null]);
    assert.deepEqual(s.answered.at(-1), ['GET', 'unmatched', 404]);
  });
});
