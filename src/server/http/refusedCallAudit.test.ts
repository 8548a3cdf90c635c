import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, call, type ApiWorld } from '../testing/apiWorld.js';
import { listAudit, type AuditRow } from '../store/auditStore.js';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { authorizeTerminal } from '../shell/terminalAuth.js';
import { createApp } from './app.js';

/** The refusals audited so far; they are written after the answer, so poll a few turns of the loop. */
async function refusals(w: ApiWorld, want: number): Promise<AuditRow[]> {
  for (let i = 0; i < 200; i++) {
    const rows = await listAudit(w.deps.db, { action: 'api.denied' });
    if (rows.length >= want) return rows;
    await new Promise((r) => setImmediate(r));
  }
  return listAudit(w.deps.db, { action: 'api.denied' });
}

// Issue 19: denied authorization attempts were not audited.
describe('refused API calls are audited', () => {
  let w: ApiWorld;
  before(async () => {
    w = await buildApiWorld();
  });
  after(async () => {
    await w.close();
  });

  it('records who was refused which route, with email and object type', async () => {
    assert.equal((await call(w, 'aViewer', 'POST', '/v1/enroll-tokens', { group: 'custA' })).status, 403);
    const [row] = await refusals(w, 1);
    assert.equal(row?.actor, w.userIds.aViewer);
    assert.equal(row?.actor_email, 'aViewer@example.com');
    assert.equal(row?.object_type, 'route');
    assert.equal(row?.target, 'POST /v1/enroll-tokens');
    assert.equal(row?.result, 'denied');
    assert.deepEqual(JSON.parse(row?.detail ?? '{}'), { code: 'FORBIDDEN', path: '/v1/enroll-tokens' });
  });

  it('records a refused credential as anonymous, with the source address', async () => {
    const res = await fetch(`${w.url}/v1/nodes`, { headers: { authorization: 'Bearer bwt_not-a-real-token-at-all' } });
    assert.equal(res.status, 401);
    const rows = await refusals(w, 2);
    const anon = rows.find((r) => r.actor === 'anonymous');
    assert.equal(anon?.target, 'GET /v1/nodes');
    assert.equal(anon?.source_ip, '127.0.0.1');
  });

  it('stops writing each refusal past the per-minute limit', async () => {
    for (let i = 0; i < 30; i++) await call(w, 'aViewer', 'GET', '/v1/users');
    const rows = (await refusals(w, 11)).filter((r) => r.actor === w.userIds.aViewer);
    assert.equal(rows.length, 10, 'ten per actor and action a minute; the rest are summed up when the minute ends');
  });

  it('records a refused terminal upgrade too', async () => {
    const req = new IncomingMessage(new Socket());
    req.method = 'GET';
    req.url = '/v1/nodes/nodeB/shell';
    req.headers = { authorization: `Bearer ${w.tokens.bAdmin.replace(/./, '!')}` };
    await assert.rejects(authorizeTerminal(w.deps, createApp(w.deps), req, 'nodeB', new URL('https://burrow.invalid/v1/nodes/nodeB/shell')), /API token/);
    const rows = await refusals(w, 12);
    assert.ok(rows.some((r) => r.target === 'GET /v1/nodes/:id/shell' && r.actor === 'anonymous'), JSON.stringify(rows.map((r) => r.target)));
  });
});
