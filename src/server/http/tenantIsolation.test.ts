import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiRoutes } from './app.js';
import { buildApiWorld, call, type ApiWorld } from '../testing/apiWorld.js';

// What one customer's people reach of another's, and which tokens a token can mint: the
// route authorization table (routeAuthorization.test.ts) checks each route on its own.

const code = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

describe('one customer sees nothing of another', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  const ids = (body: unknown, field = 'id') => (body as Record<string, unknown>[]).map((x) => x[field]);

  it('lists only its own nodes, users, enrollment tokens, sessions and audit entries', async () => {
    assert.deepEqual(ids((await call(world, 'bAdmin', 'GET', '/v1/nodes')).body), ['nodeB']);
    assert.deepEqual(ids((await call(world, 'bAdmin', 'GET', '/v1/users')).body), ['usr_bAdmin']);
    assert.deepEqual(ids((await call(world, 'bAdmin', 'GET', '/v1/enroll-tokens')).body), ['etB']);
    assert.deepEqual(ids((await call(world, 'bAdmin', 'GET', '/v1/sessions')).body), ['sesB']);
    assert.deepEqual(ids((await call(world, 'bAdmin', 'GET', '/v1/session-requests')).body), ['sreqB']);
    const audit = (await call(world, 'bAdmin', 'GET', '/v1/audit')).body as { group: string }[];
    assert.ok(audit.length > 0 && audit.every((e) => e.group === 'custB'), JSON.stringify(audit));
    assert.deepEqual(ids((await call(world, 'aOperator', 'GET', '/v1/nodes')).body), ['nodeA']);
    assert.deepEqual((ids((await call(world, 'rootAdmin', 'GET', '/v1/nodes')).body) as string[]).sort(), ['nodeA', 'nodeB']);
  });

  it('cannot raise its own role, grant above its own, or reach outside its subtree', async () => {
    const self = await call(world, 'aAdmin', 'POST', '/v1/users/usr_aAdmin/grants', { role: 'admin', group: 'root' });
    assert.equal(self.status, 403);
    const above = await call(world, 'aOperator', 'POST', '/v1/users/usr_aViewer/grants', { role: 'admin', group: 'siteA' });
    assert.equal(above.status, 403);
    const outside = await call(world, 'aAdmin', 'POST', '/v1/users/usr_aViewer/grants', { role: 'viewer', group: 'custB' });
    assert.equal(outside.status, 404);
    const rootGroup = await call(world, 'aAdmin', 'POST', '/v1/groups', { name: 'x', parent: 'root' });
    assert.equal(rootGroup.status, 404, 'the root lies outside a customer admin\'s subtree');
  });

  it('a read-scoped token of an admin cannot change anything', async () => {
    const made = await call(world, 'aAdmin', 'POST', '/v1/tokens', { name: 'ro', scope: 'read', ttl: '1d' });
    assert.equal(made.status, 201);
    const secret = (made.body as { token: string }).token;
    const res = await fetch(`${world.url}/v1/nodes/nodeA/revoke`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    assert.equal(res.status, 403);
    const list = await fetch(`${world.url}/v1/nodes`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(list.status, 200);
  });
});

/**
 * Tokens never widen: a route that creates or reissues a token needs an interactive sign-in
 * (a console session or a CLI login, both after password and TOTP) or an API token whose
 * scope and group limit cover the token it makes or hands back.
 */
const TOKEN_MINTING = ['POST /v1/tokens', 'POST /v1/tokens/:id/reissue'];

describe('tokens never widen', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  /** An API token of rootAdmin made through its CLI login. */
  const apiToken = async (scope: string, group?: string): Promise<{ id: string; token: string }> => {
    const r = await call(world, 'rootAdmin', 'POST', '/v1/tokens', { name: `t-${scope}-${group ?? 'all'}`, scope, ttl: '1d', ...(group ? { group } : {}) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { id: string; token: string };
  };
  const with_ = async (secret: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(world.url + path, { method, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('names every route that mints a token', () => {
    const minting = apiRoutes(world.deps)
      .filter((r) => r.method === 'POST' && r.path.startsWith('/v1/tokens'))
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    assert.deepEqual(minting, [...TOKEN_MINTING].sort(), 'a token route was added without a widening rule here');
  });

  it('POST /v1/tokens: a read token cannot create an operate or admin token', async () => {
    const read = await apiToken('read');
    for (const scope of ['operate', 'admin']) {
      const r = await with_(read.token, 'POST', '/v1/tokens', { name: 'wider', scope, ttl: '1d' });
      assert.equal(r.status, 403, `${scope}: ${JSON.stringify(r.body)}`);
      assert.equal(code(r.body), 'FORBIDDEN');
    }
    assert.equal((await with_(read.token, 'POST', '/v1/tokens', { name: 'same', scope: 'read', ttl: '1d' })).status, 201, 'an equal scope is no widening');
  });

  it('POST /v1/tokens: a token limited to a group cannot create one without that limit or outside it', async () => {
    const limited = await apiToken('admin', 'custA');
    assert.equal((await with_(limited.token, 'POST', '/v1/tokens', { name: 'all', scope: 'read', ttl: '1d' })).status, 403);
    assert.equal((await with_(limited.token, 'POST', '/v1/tokens', { name: 'b', scope: 'read', ttl: '1d', group: 'custB' })).status, 404);
    assert.equal((await with_(limited.token, 'POST', '/v1/tokens', { name: 'site', scope: 'operate', ttl: '1d', group: 'siteA' })).status, 201, 'a narrower group is no widening');
  });

  it('POST /v1/tokens/:id/reissue: a read token cannot reissue an admin token, nor a limited one an unlimited', async () => {
    const admin = await apiToken('admin');
    const read = await apiToken('read');
    const r = await with_(read.token, 'POST', `/v1/tokens/${admin.id}/reissue`);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal((r.body as { token?: string }).token, undefined);
    const limited = await apiToken('admin', 'custA');
    assert.equal((await with_(limited.token, 'POST', `/v1/tokens/${read.id}/reissue`)).status, 403);
    assert.equal((await with_(admin.token, 'POST', `/v1/tokens/${read.id}/reissue`)).status, 200, 'a covering token may reissue');
  });

  it('an interactive sign-in (CLI login) may create and reissue any scope', async () => {
    const admin = await apiToken('admin');
    assert.equal((await call(world, 'rootAdmin', 'POST', `/v1/tokens/${admin.id}/reissue`)).status, 200);
  });
});

describe('grants stay within the admin\'s tenant', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  it('an admin cannot attach a role on its group to another customer\'s user, and cannot tell whether the user exists', async () => {
    for (const key of ['usr_aOperator', 'aOperator@example.com']) {
      const theirs = await call(world, 'bAdmin', 'POST', `/v1/users/${key}/grants`, { role: 'viewer', group: 'custB' });
      const nobody = await call(world, 'bAdmin', 'POST', `/v1/users/${key.replace('aOperator', 'nobody')}/grants`, { role: 'viewer', group: 'custB' });
      assert.equal(theirs.status, 404, `${key}: ${JSON.stringify(theirs.body)}`);
      assert.equal(nobody.status, 404);
      assert.equal(code(theirs.body), code(nobody.body));
      const msg = (b: unknown) => (b as { error: { message: string } }).error.message;
      assert.equal(msg(theirs.body).replace('aOperator', 'X'), msg(nobody.body).replace('nobody', 'X'), 'the same answer for "no such user" and "not yours"');
    }
    const grants = (await call(world, 'rootAdmin', 'GET', '/v1/users/usr_aOperator')).body as { grants: { group: string }[] };
    assert.deepEqual(grants.grants.map((g) => g.group), ['siteA']);
  });

  it('answers alike for another customer\'s user on every user route', async () => {
    for (const [method, suffix] of [['GET', ''], ['POST', '/disable'], ['POST', '/reset-totp'], ['DELETE', '/grants/custB']] as const) {
      const theirs = await call(world, 'bAdmin', method, `/v1/users/aOperator@example.com${suffix}`);
      const nobody = await call(world, 'bAdmin', method, `/v1/users/nobody@example.com${suffix}`);
      assert.equal(theirs.status, 404, `${method} ${suffix}: ${JSON.stringify(theirs.body)}`);
      const msg = (b: unknown) => (b as { error: { message: string } }).error.message;
      assert.equal(msg(theirs.body).replace('aOperator', 'X'), msg(nobody.body).replace('nobody', 'X'), `${method} ${suffix}`);
    }
  });

  it('an admin still grants within its groups to the users it manages', async () => {
    const r = await call(world, 'aAdmin', 'POST', '/v1/users/aViewer@example.com/grants', { role: 'operator', group: 'siteA' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
});
