import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { pinnedAgent } from '../src/shared/pinnedHttps.js';
import type { NodeView, SessionView } from '../src/shared/protocol.js';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import { enterSession, getBody } from './harness/httpGet.js';
import { errorOf, rawRequest } from './harness/rawRequest.js';
import type { Stack } from './harness/stack.js';
import { stackSuite } from './harness/stackSuite.js';

/** A CLI failure as the contract says: non-zero exit, nothing on stdout, one sentence on stderr. */
function assertOneSentenceError(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^burrow: [^\n]+\.\n$/);
  assert.match(r.stderr, pattern);
}

const nodeIds = async (s: Stack) => (await s.api<NodeView[]>('GET', '/v1/nodes')).map((n) => n.id).sort();

/** `burrow node enroll` into a fresh home under the stack's dir. */
const enrollInto = (s: Stack, name: string, token: string) =>
  runBurrow(['node', 'enroll', s.url, '--token', token, '--name', name, '--service', `webui=127.0.0.1:${s.webUi.port}`, '--home', join(s.dir, `node-${name}`)]);

// Issue 3, bad input: every refusal is clear, leaves the data as it was, and leaves the
// server serving.
describe('tunnel spine refusals', () => {
  const stack = stackSuite();

  it('refuses a wrong enrollment token in one sentence and enrolls nothing', async () => {
    const s = stack();
    const before = await nodeIds(s);
    // Well-formed and carrying the right server pin, so only the secret is wrong.
    const pinPart = (await s.enrollToken()).split('.')[1] as string;
    const wrong = `bre_${randomBytes(24).toString('base64url')}.${pinPart}`;
    assertOneSentenceError(await enrollInto(s, 'intruder', wrong), /not valid/);
    assert.equal(existsSync(join(s.dir, 'node-intruder', 'node.json')), false);
    assert.deepEqual(await nodeIds(s), before);
  });

  it('refuses a single-use token the second time', async () => {
    const s = stack();
    const token = await s.enrollToken({ autoApprove: true, uses: 1 });
    const first = await enrollInto(s, 'once', token);
    assert.equal(first.code, 0, first.stderr);
    const before = await nodeIds(s);
    assertOneSentenceError(await enrollInto(s, 'twice', token), /used up/);
    assert.equal(existsSync(join(s.dir, 'node-twice', 'node.json')), false);
    assert.deepEqual(await nodeIds(s), before);
  });

  it('answers a plain GET /v1/tunnel with 426 and the error body', async () => {
    const s = stack();
    const res = await rawRequest({ method: 'GET', url: new URL('/v1/tunnel', s.url).toString(), pin: s.pin });
    assert.equal(res.status, 426);
    assert.match(res.contentType, /^application\/json/);
    assert.equal(errorOf(res).code, 'UPGRADE_REQUIRED');
  });

  it('drops a WebSocket that sends garbage instead of SSH, and keeps serving', async () => {
    const s = stack();
    const ws = new WebSocket(new URL('/v1/tunnel', s.url.replace(/^https/, 'wss')).toString(), { agent: pinnedAgent(s.pin), perMessageDeflate: false });
    await once(ws, 'open', { signal: AbortSignal.timeout(10_000) });
    const closed = once(ws, 'close', { signal: AbortSignal.timeout(10_000) });
    ws.send(Buffer.concat([Buffer.from('HELLO this is not SSH\r\n'), randomBytes(4096)]));
    await closed;
    // The server is up, the real node is still online and its WebUI still reachable.
    assert.equal((await s.api<{ ok: boolean }>('GET', '/healthz', undefined, false)).ok, true);
    assert.equal((await s.api<NodeView>('GET', `/v1/nodes/${s.node.id}`)).online, true);
    const session = await s.api<SessionView>('POST', '/v1/sessions', { node: s.node.id });
    const { origin, cookie } = await enterSession(session.url, s.pin);
    assert.equal((await getBody(`${origin}/`, s.pin, cookie)).status, 200);
    await s.api('DELETE', `/v1/sessions/${session.id}`);
  });

  it('refuses sessions for an unknown node (404) and an offline one (409)', async () => {
    const s = stack();
    const post = (body: string, headers: Record<string, string> = {}) =>
      rawRequest({ method: 'POST', url: new URL('/v1/sessions', s.url).toString(), pin: s.pin, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiToken}`, ...headers } });
    const unknown = await post(JSON.stringify({ node: 'nd_doesnotexist' }));
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).code, 'NODE_NOT_FOUND');

    // Enrolled and approved, but its agent never runs.
    const offline = await s.enrollNode('sleeper', await s.enrollToken({ autoApprove: true }));
    const res = await post(JSON.stringify({ node: offline.id }));
    assert.equal(res.status, 409);
    assert.equal(errorOf(res).code, 'NODE_OFFLINE');
    const cli = await runBurrow(['admin', 'session', 'open', offline.id, '--home', s.adminHome]);
    assertOneSentenceError(cli, /offline/);
  });

  it('answers a body that is not JSON with 400 and the error body', async () => {
    const s = stack();
    const res = await rawRequest({ method: 'POST', url: new URL('/v1/sessions', s.url).toString(), pin: s.pin, body: '{"node": nd_', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiToken}` } });
    assert.equal(res.status, 400);
    assert.equal(errorOf(res).code, 'BAD_REQUEST');
    assert.deepEqual(await s.api<SessionView[]>('GET', '/v1/sessions'), []);
  });

  it('answers an API call without a token with 401', async () => {
    const s = stack();
    for (const [method, path] of [['GET', '/v1/nodes'], ['POST', '/v1/sessions']] as const) {
      const res = await rawRequest({ method, url: new URL(path, s.url).toString(), pin: s.pin });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(errorOf(res).code, 'UNAUTHENTICATED');
    }
  });
});
