import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { generateEd25519 } from '../../shared/sshKeys.js';

/** Sends a raw request and returns status and parsed error code (if the body is our error shape). */
async function raw(world: ApiWorld, method: string, path: string, body?: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(world.url + path, { method, headers: body ? { 'content-type': 'application/json', authorization: `Bearer ${world.tokens.rootAdmin}` } : { authorization: `Bearer ${world.tokens.rootAdmin}` }, ...(body ? { body } : {}) });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, ...(code ? { code } : {}) };
}

describe('enrolling many nodes at once from one address', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  it('is not throttled when every enrollment succeeds (a factory behind one NAT)', async () => {
    const made = await fetch(`${world.url}/v1/enroll-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${world.tokens.rootAdmin}` },
      body: JSON.stringify({ uses: 20, autoApprove: true }),
    });
    const { token } = (await made.json()) as { token: string };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => raw(world, 'POST', '/v1/enroll', JSON.stringify({ token, name: `f${i}`, publicKey: generateEd25519().public }))),
    );
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(201));
  });
});

describe('bad input gets a 4xx in the error shape', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  it('answers a method the path does not take with 405 METHOD_NOT_ALLOWED, not plain text', async () => {
    assert.deepEqual(await raw(world, 'PATCH', '/v1/groups/'), { status: 405, code: 'METHOD_NOT_ALLOWED' });
    assert.deepEqual(await raw(world, 'PUT', '/v1/nodes'), { status: 405, code: 'METHOD_NOT_ALLOWED' });
  });

  it('answers an unknown method with 405, not 501', async () => {
    const r = await raw(world, 'PROPFIND', '/v1/nodes');
    assert.ok(r.status === 405 || r.status === 400, `status ${r.status}`);
    assert.equal(r.code, r.status === 405 ? 'METHOD_NOT_ALLOWED' : 'BAD_REQUEST');
  });

  it('answers a malformed escape in a path parameter with a 4xx', async () => {
    const r = await raw(world, 'GET', '/v1/nodes/%E0%A4%A');
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.ok(r.code);
  });

  it('refuses a query number that is not one (?limit=abc) with 400 VALIDATION instead of reading it as the default', async () => {
    assert.deepEqual(await raw(world, 'GET', '/v1/audit?limit=abc'), { status: 400, code: 'VALIDATION' });
    assert.deepEqual(await raw(world, 'GET', '/v1/audit?limit=0'), { status: 400, code: 'VALIDATION' });
    assert.deepEqual(await raw(world, 'GET', '/v1/audit?before=-3'), { status: 400, code: 'VALIDATION' });
    assert.deepEqual(await raw(world, 'GET', '/v1/audit?limit=1&limit=2'), { status: 400, code: 'VALIDATION' });
    assert.deepEqual(await raw(world, 'GET', '/v1/audit?limit=5'), { status: 200 });
    assert.deepEqual(await raw(world, 'GET', '/v1/audit?limit=999999'), { status: 200 }, 'a large limit is clamped, not refused');
  });

  it('throttles /v1/enroll per source address after a few failures', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) codes.push((await raw(world, 'POST', '/v1/enroll', JSON.stringify({ token: `bre_x${i}.y`, name: 'n', publicKey: 'k' }))).code ?? '');
    assert.notEqual(codes[0], 'RATE_LIMITED');
    assert.equal(codes.at(-1), 'RATE_LIMITED');
  });
});
