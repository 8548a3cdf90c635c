import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { SessionRequestView } from '../src/shared/protocol.js';
import { runBurrow as burrow, burrowJson } from './harness/burrowCli.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

const hms = (t: number) => new Date(t).toISOString().slice(11, 19);

/** GETs a session URL as the browser would (the session port's certificate is the server's own). */
function get(url: string, cookie?: string): Promise<{ status: number; cookie: string; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false, headers: cookie ? { cookie } : {} }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; '), body }));
      })
      .on('error', reject);
  });
}

/** What a browser reads from a session URL: it trades the one-time token for a cookie, then loads the page. */
async function fetchText(url: string): Promise<string> {
  const entry = await get(url);
  assert.equal(entry.status, 303, 'the entry URL trades its token for a cookie');
  return (await get(`${new URL(url).origin}/`, entry.cookie)).body;
}

describe('a session requested for an away on-demand node', () => {
  let stack: ModesStack;
  before(async () => {
    stack = await ModesStack.start();
  });
  after(async () => {
    await stack?.close();
  });

  it('is queued with the expected check-in, can be cancelled, and opens by itself when the node checks in', async () => {
    const home = await stack.enrollNode('q1', { holdCheckMs: 500 });
    const start = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    const set = await burrow(['node', 'mode', 'on-demand', '--window', `daily ${hms(start)}-${hms(start + 60_000)}`, '--tz', 'UTC', '--interval', '15s', '--duration', '2s', '--home', home]);
    assert.equal(set.code, 0, set.stderr);
    const agent = stack.runNode(home);
    // The first check-in tells the server the node's mode and when it comes back.
    await waitUntil(async () => (await stack.node('q1')).nextCheckIn !== null, 20_000, 'q1 to report its schedule');
    await waitUntil(async () => !(await stack.node('q1')).online, 20_000, 'q1 to leave after its check-in');
    const expected = new Date(start + 15_000).toISOString();
    assert.equal((await stack.node('q1')).nextCheckIn, expected);

    const queued = await burrowJson<SessionRequestView>(['admin', 'session-request', 'create', 'q1', '--home', stack.adminHome]);
    assert.equal(queued.state, 'queued');
    assert.equal(queued.expectedAt, expected);
    assert.equal(queued.session, null);
    const other = await burrowJson<SessionRequestView>(['admin', 'session-request', 'create', 'q1', '--home', stack.adminHome]);
    const cancelled = await burrowJson<SessionRequestView>(['admin', 'session-request', 'cancel', other.id, '--home', stack.adminHome]);
    assert.equal(cancelled.state, 'cancelled');
    const again = await burrow(['admin', 'session-request', 'cancel', other.id, '--home', stack.adminHome]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /is cancelled, no longer queued/);

    let opened: SessionRequestView | undefined;
    await waitUntil(
      async () => {
        opened = await burrowJson<SessionRequestView>(['admin', 'session-request', 'show', queued.id, '--home', stack.adminHome]);
        return opened.state !== 'queued';
      },
      30_000,
      'the queued session to open at the check-in',
    );
    assert.equal(opened?.state, 'opened');
    assert.ok(opened?.session);
    assert.equal(await fetchText(opened.session.url), 'hello from the webui');
    // The open session is work: the node stays past its 2 s check-in.
    await agent.waitFor(/staying connected: the server holds work/, 10_000);
    assert.equal((await stack.node('q1')).online, true);
    assert.equal((await burrow(['admin', 'session', 'close', opened.session.id, '--home', stack.adminHome])).code, 0);
    await waitUntil(async () => !(await stack.node('q1')).online, 15_000, 'q1 to leave once the session closed');
    const all = await burrowJson<SessionRequestView[]>(['admin', 'session-request', 'list', '--all', '--home', stack.adminHome]);
    assert.deepEqual(all.map((r) => r.state).sort(), ['cancelled', 'opened']);
    await agent.stop();
  });
});
