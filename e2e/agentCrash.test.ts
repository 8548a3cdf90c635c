import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { SessionView } from '../src/shared/protocol.js';
import { pinnedAgent } from '../src/shared/pinnedHttps.js';
import { enterSession, getBody } from './harness/httpGet.js';
import { stackSuite } from './harness/stackSuite.js';
import { BIG_BODY_BYTES } from './harness/webUi.js';

// Issue 10: the agent is SIGKILLed in the middle of a download through a session. The
// browser's transfer ends with an error (it does not hang), the server keeps serving and
// marks the node offline, and once the agent runs again the same WebUI works.
describe('the agent killed mid-transfer', () => {
  const stack = stackSuite({ nodeConfig: { backoffMaxMs: 2_000 } });

  it('cuts the transfer cleanly, keeps the server up, and the node comes back', async () => {
    const s = stack();
    const session = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    const { origin, cookie } = await enterSession(session.url, s.pin);
    const outcome = new Promise<{ bytes: number; ended: 'complete' | 'cut' }>((resolve, reject) => {
      let bytes = 0;
      const req = https.get(`${origin}/big`, { agent: pinnedAgent(s.pin), headers: { cookie } }, (res) => {
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          // Kill the agent once the transfer is well under way.
          if (bytes >= 4 * 1024 * 1024 && s.node.agent && s.node.agent.child.exitCode === null) void s.procs.kill(s.node.agent);
        });
        res.on('end', () => resolve({ bytes, ended: bytes === BIG_BODY_BYTES ? 'complete' : 'cut' }));
        res.on('error', () => resolve({ bytes, ended: 'cut' }));
        res.on('aborted', () => resolve({ bytes, ended: 'cut' }));
      });
      req.on('error', (err) => (bytes > 0 ? resolve({ bytes, ended: 'cut' }) : reject(err)));
      req.setTimeout(30_000, () => req.destroy(new Error('the transfer hung after the agent died')));
    });
    const r = await outcome;
    assert.equal(r.ended, 'cut', `got ${r.bytes} of ${BIG_BODY_BYTES} bytes`);
    assert.ok(r.bytes < BIG_BODY_BYTES);

    assert.equal((await s.api<{ ok: boolean }>('GET', '/healthz', undefined, false)).ok, true);
    await s.waitOnline(s.node.id, false, 40_000);
    s.runAgent(s.node);
    await s.waitOnline(s.node.id, true, 20_000);
    const again = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    const entry = await enterSession(again.url, s.pin);
    assert.equal((await getBody(`${entry.origin}/`, s.pin, entry.cookie)).status, 200);
  });
});
