import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionView } from '../src/shared/protocol.js';
import { runBurrow } from './harness/burrowCli.js';
import { freePort } from './harness/freePort.js';
import { enterSession, getBody } from './harness/httpGet.js';
import { rawRequest } from './harness/rawRequest.js';
import { ADMIN } from './harness/serverStack.js';
import { Stack } from './harness/stack.js';
import { waitFor } from './harness/waitFor.js';

/** One sample of a scrape, by metric name and exact label text (`{a="b"}`, or none). */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  if (!line) throw new Error(`no sample ${name}${labels} in the scrape`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

// Issue 21: an operator scrapes /metrics on the private metrics listener, reads one access-log
// line per request (never a token), correlates answers by X-Request-Id, and probes /healthz and /readyz.
describe('metrics, access log and health of a running server', () => {
  let s: Stack;
  let metricsPort: number;
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  before(async () => {
    metricsPort = await freePort();
    s = await Stack.start({ serverConfig: { metricsListen: `127.0.0.1:${metricsPort}`, accessLog: 'file' } });
  });
  afterEach((t) => {
    if (!t.passed) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${s.procs.logTails()}\n`);
  });
  after(() => s.close());

  it('exposes metrics that promtool accepts and that move with sign-ins and sessions', async () => {
    const first = await scrape();
    // The stack signed in once through the CLI; now a wrong password.
    const wrong = join(s.dir, 'wrong-password');
    await writeFile(wrong, 'not-the-password-at-all', { mode: 0o600 });
    const failed = await runBurrow(['admin', 'login', '--home', join(s.dir, 'intruder'), '--server', s.url, '--email', ADMIN.email, '--password-file', wrong, '--totp', '000000', '--fingerprint', s.pin]);
    assert.notEqual(failed.code, 0);
    const session = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    const { origin, cookie } = await enterSession(session.url, s.pin);
    assert.equal((await getBody(`${origin}/`, s.pin, cookie)).status, 200);
    await s.admin(['session', 'close', session.id]);

    const text = await scrape();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
    assert.equal(sample(text, 'burrow_sign_ins_total', '{via="cli",result="ok"}'), 1);
    assert.equal(sample(text, 'burrow_sign_ins_total', '{via="cli",result="denied"}'), 1);
    assert.equal(sample(first, 'burrow_sign_ins_total', '{via="cli",result="denied"}'), 0);
    assert.equal(sample(text, 'burrow_nodes_connected', '{mode="always-on"}'), 1);
    assert.equal(sample(text, 'burrow_tunnel_connects_total'), 1);
    assert.equal(sample(text, 'burrow_sessions_opened_total', '{type="http"}'), 1);
    assert.equal(sample(text, 'burrow_sessions_closed_total', '{reason="closed-by-user"}'), 1);
    assert.equal(sample(text, 'burrow_sessions_open'), 0);
    assert.equal(sample(text, 'burrow_session_open_seconds_count'), 1);
    assert.ok(sample(text, 'burrow_session_relayed_bytes_total', '{direction="down"}') > 0);
    assert.ok(sample(text, 'burrow_store_query_seconds_count', '{op="transaction"}') > sample(first, 'burrow_store_query_seconds_count', '{op="transaction"}'));
    assert.equal(sample(text, 'burrow_jobs', '{state="pending"}'), 0);
    assert.ok(sample(text, 'nodejs_eventloop_lag_seconds') >= 0);
    assert.ok(sample(text, 'process_resident_memory_bytes') > 0);
    assert.doesNotMatch(text, /nod_|usr_|ses_/, 'no node, user or session ids as labels');
    // The public port does not serve them (it answers the console's page there, like any unknown path).
    assert.doesNotMatch((await rawRequest({ method: 'GET', url: `${s.url}/metrics`, pin: s.pin })).text, /burrow_sign_ins_total/);
  });

  it('echoes X-Request-Id, puts it into error bodies, and logs requests without their tokens', async () => {
    const token = s.apiToken;
    const listed = await rawRequest({ method: 'GET', url: `${s.url}/v1/nodes?token=${token}`, pin: s.pin, headers: { authorization: `Bearer ${token}`, 'x-request-id': 'e2e-trace-1' } });
    assert.equal(listed.status, 200);
    const missing = await rawRequest({ method: 'GET', url: `${s.url}/v1/nodes/nod_missing`, pin: s.pin, headers: { authorization: `Bearer ${token}`, 'x-request-id': 'bad id with spaces' } });
    assert.equal(missing.status, 404);
    const error = (JSON.parse(missing.text) as { error: { code: string; requestId: string } }).error;
    assert.equal(error.code, 'NODE_NOT_FOUND');
    assert.match(error.requestId, /^req_/, 'a malformed incoming id is replaced');

    const file = join(s.serverHome, 'access.log');
    const lines = await waitFor('the access-log lines', async () => {
      const all = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      return all.some((l) => l.reqId === error.requestId) ? all : undefined;
    });
    const line = lines.find((l) => l.reqId === 'e2e-trace-1');
    assert.ok(line, 'the caller\'s request id is logged');
    assert.deepEqual([line.method, line.route, line.path, line.status, typeof line.durationMs], ['GET', '/v1/nodes', '/v1/nodes', 200, 'number']);
    assert.match(String(line.user), /^usr_/);
    assert.equal(lines.find((l) => l.reqId === error.requestId)?.route, '/v1/nodes/:id');
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'the access log is private to the server');
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(token), 'no API token in the access log');
    assert.ok(!text.includes('burrow_token'), 'no session token in the access log');
    assert.ok(lines.some((l) => l.msg === 'session connection' && String(l.sessionId).startsWith('ses_')), 'session-port connections are logged with their session');
  });

  it('answers /healthz and /readyz without credentials', async () => {
    const health = await rawRequest({ method: 'GET', url: `${s.url}/healthz`, pin: s.pin });
    assert.equal(health.status, 200);
    assert.match(health.text, /"ok":true/);
    const ready = await rawRequest({ method: 'GET', url: `${s.url}/readyz`, pin: s.pin });
    assert.deepEqual([ready.status, ready.text], [200, '{"ok":true,"clusterBus":"in-process"}']);
  });
});
