import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiRoutes } from './app.js';
import { buildApiWorld, call, type Person } from '../testing/apiWorld.js';

/** How one route must answer each kind of caller. Exact statuses, so a loosened rule fails. */
interface Rule {
  path: string;
  body?: unknown;
  /** Who may call it, and the status that proves the call got past authorization. */
  ok?: [Person, number, string?];
  /** A viewer on a state-changing route. */
  viewer?: number;
  /** Another customer's admin, or an operator outside the node's groups. */
  outsider?: [Person, number];
  /** An endless Server-Sent Events stream: the allowed call checks status and type, then hangs up. */
  stream?: boolean;
}

const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /v1/tunnel', 'POST /v1/auth/login', 'POST /v1/auth/console/password', 'POST /v1/auth/console/totp', 'POST /v1/enroll']);
/** Routes a user who still has to enroll TOTP may call. */
const TOTP_SETUP = new Set(['POST /v1/auth/logout', 'GET /v1/auth/whoami', 'POST /v1/auth/totp/setup', 'POST /v1/auth/totp/confirm']);

const grant = { role: 'viewer', group: 'siteA' };
const RULES: Record<string, Rule> = {
  'GET /healthz': { path: '/healthz' },
  'GET /readyz': { path: '/readyz' },
  'GET /v1/tunnel': { path: '/v1/tunnel' },
  'POST /v1/auth/login': { path: '/v1/auth/login' },
  'POST /v1/auth/console/password': { path: '/v1/auth/console/password' },
  'POST /v1/auth/console/totp': { path: '/v1/auth/console/totp' },
  'POST /v1/enroll': { path: '/v1/enroll' },
  'POST /v1/auth/logout': { path: '/v1/auth/logout', ok: ['aViewer', 204] },
  'GET /v1/auth/whoami': { path: '/v1/auth/whoami', ok: ['aNewOperator', 200] },
  'POST /v1/auth/totp/setup': { path: '/v1/auth/totp/setup', ok: ['aNewOperator', 200] },
  'POST /v1/auth/totp/confirm': { path: '/v1/auth/totp/confirm', body: { code: '123456' }, ok: ['aViewer', 409, 'CONFLICT'] },
  // Past authorization and the password: the world's users have no authenticator secret to check a code against.
  'POST /v1/auth/password': { path: '/v1/auth/password', body: { currentPassword: 'correct horse battery staple', newPassword: 'another long passphrase 42', totp: '123456' }, ok: ['aViewer', 401, 'TOTP_INVALID'] },
  'POST /v1/auth/email': { path: '/v1/auth/email', body: { currentPassword: 'correct horse battery staple', email: 'renamed@example.com', totp: '123456' }, ok: ['aViewer', 401, 'TOTP_INVALID'] },
  'GET /v1/users': { path: '/v1/users', ok: ['aAdmin', 200], viewer: 403 },
  'POST /v1/users': { path: '/v1/users', body: { email: 'new@example.com', role: 'viewer', group: 'custA' }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/users/:id': { path: '/v1/users/usr_aOperator', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/users/:id': { path: '/v1/users/usr_aOperator', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'PATCH /v1/users/:id': { path: '/v1/users/usr_aOperator', body: { email: 'renamed@example.com' }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/users/:id/reset-password': { path: '/v1/users/usr_aOperator/reset-password', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/users/:id/disable': { path: '/v1/users/usr_aOperator/disable', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/users/:id/enable': { path: '/v1/users/usr_aOperator/enable', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/users/:id/unlock': { path: '/v1/users/usr_aOperator/unlock', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/users/:id/reset-totp': { path: '/v1/users/usr_aOperator/reset-totp', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/users/:id/grants': { path: '/v1/users/usr_aOperator/grants', body: grant, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/users/:id/grants/:group': { path: '/v1/users/usr_aOperator/grants/siteA', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/groups': { path: '/v1/groups', ok: ['aViewer', 200] },
  'POST /v1/groups': { path: '/v1/groups', body: { name: 'site2', parent: 'custA' }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 404] },
  'PATCH /v1/groups/:id': { path: '/v1/groups/siteA', body: { rememberBrowserDays: 7 }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/groups/:id': { path: '/v1/groups/emptyA', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/groups/:id/rename': { path: '/v1/groups/siteA/rename', body: { name: 'site-a' }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/groups/:id/move': { path: '/v1/groups/siteA/move', body: { parent: 'root' }, ok: ['rootAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/tokens': { path: '/v1/tokens', ok: ['aViewer', 200] },
  'POST /v1/tokens': { path: '/v1/tokens', body: { name: 'ci', scope: 'read', ttl: '30d' }, ok: ['aViewer', 201] },
  'DELETE /v1/tokens/:id': { path: '/v1/tokens/tokA', ok: ['aOperator', 204], outsider: ['bAdmin', 404] },
  'POST /v1/tokens/:id/reissue': { path: '/v1/tokens/tokA/reissue', ok: ['aAdmin', 200], outsider: ['bAdmin', 404] },
  'POST /v1/enroll-tokens': { path: '/v1/enroll-tokens', body: { group: 'custA' }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/enroll-tokens': { path: '/v1/enroll-tokens', ok: ['aAdmin', 200], viewer: 403 },
  'DELETE /v1/enroll-tokens/:id': { path: '/v1/enroll-tokens/etA', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/nodes': { path: '/v1/nodes', ok: ['aViewer', 200] },
  'GET /v1/nodes/:id': { path: '/v1/nodes/nodeA', ok: ['aViewer', 200], outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/approve': { path: '/v1/nodes/nodeA/approve', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/revoke': { path: '/v1/nodes/nodeA/revoke', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/rotate-key': { path: '/v1/nodes/nodeA/rotate-key', ok: ['aAdmin', 409, 'NODE_OFFLINE'], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/rename': { path: '/v1/nodes/nodeA/rename', body: { name: 'gateA' }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/move': { path: '/v1/nodes/nodeA/move', body: { group: 'emptyA' }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/nodes/:id': { path: '/v1/nodes/nodeA', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/labels': { path: '/v1/nodes/nodeA/labels', body: { set: { site: 'paris' } }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  // Authorized but the node is not connected: 409 NODE_OFFLINE proves the rules let it through.
  'POST /v1/nodes/:id/services': { path: '/v1/nodes/nodeA/services', body: { remove: ['webui'] }, ok: ['aAdmin', 409, 'NODE_OFFLINE'], viewer: 403, outsider: ['bAdmin', 404] },
  // Pulls read a node's files: operators of its group only; offline here, so 409 proves the rules let it through.
  'GET /v1/nodes/:id/files': { path: '/v1/nodes/nodeA/files?path=/var/log/syslog', ok: ['aOperator', 409, 'NODE_OFFLINE'], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/nodes/:id/bundle': { path: '/v1/nodes/nodeA/bundle', ok: ['aOperator', 409, 'NODE_OFFLINE'], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/nodes/:id/status': { path: '/v1/nodes/nodeA/status', ok: ['aViewer', 200], outsider: ['bAdmin', 404] },
  'GET /v1/nodes/:id/conditions': { path: '/v1/nodes/nodeA/conditions', ok: ['aViewer', 200], outsider: ['bAdmin', 404] },
  'POST /v1/nodes/:id/conditions': { path: '/v1/nodes/nodeA/conditions', body: { kind: 'log', name: 'errors', path: '/var/log/app.log', pattern: 'ERROR' }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/nodes/:id/conditions/:name': { path: '/v1/nodes/nodeA/conditions/none', ok: ['aAdmin', 404, 'NOT_FOUND'], viewer: 403, outsider: ['bAdmin', 404] },
  'PUT /v1/nodes/:id/mode': { path: '/v1/nodes/nodeA/mode', body: { mode: 'always-on' }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/budgets': { path: '/v1/budgets', ok: ['aViewer', 200] },
  'GET /v1/nodes/:id/budget': { path: '/v1/nodes/nodeA/budget', ok: ['aViewer', 200], outsider: ['bAdmin', 404] },
  'PUT /v1/nodes/:id/budget': { path: '/v1/nodes/nodeA/budget', body: { monthlyBytes: 1_000_000 }, ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/nodes/:id/budget': { path: '/v1/nodes/nodeA/budget', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'PUT /v1/nodes/:id/budget/override': { path: '/v1/nodes/nodeA/budget/override', body: {}, ok: ['aAdmin', 409, 'CONFLICT'], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/nodes/:id/budget/override': { path: '/v1/nodes/nodeA/budget/override', ok: ['aAdmin', 409, 'CONFLICT'], viewer: 403, outsider: ['bAdmin', 404] },
  // An always-on node that is away cannot be queued for: 409 NODE_OFFLINE proves the rules let it through.
  'POST /v1/session-requests': { path: '/v1/session-requests', body: { node: 'nodeA' }, ok: ['aOperator', 409, 'NODE_OFFLINE'], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/session-requests': { path: '/v1/session-requests', ok: ['aViewer', 200] },
  'GET /v1/session-requests/:id': { path: '/v1/session-requests/sreqA', ok: ['aViewer', 200], outsider: ['bAdmin', 404] },
  'DELETE /v1/session-requests/:id': { path: '/v1/session-requests/sreqA', ok: ['aOperator', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/sessions': { path: '/v1/sessions', ok: ['aViewer', 200] },
  // Authorized but the node is not connected: 409 NODE_OFFLINE proves the rules let it through.
  'POST /v1/sessions': { path: '/v1/sessions', body: { node: 'nodeA' }, ok: ['aOperator', 409, 'NODE_OFFLINE'], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/sessions/:id/extend': { path: '/v1/sessions/sesA/extend', ok: ['aOperator', 409, 'SESSION_CLOSED'], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/sessions/:id/tickets': { path: '/v1/sessions/sesA/tickets', ok: ['aOperator', 409, 'SESSION_CLOSED'], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/sessions/:id': { path: '/v1/sessions/sesA', ok: ['aOperator', 409, 'SESSION_CLOSED'], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/audit': { path: '/v1/audit', ok: ['aAdmin', 200], viewer: 403 },
  'GET /v1/audit/export': { path: '/v1/audit/export?format=csv', ok: ['aAdmin', 200], viewer: 403 },
  'GET /v1/recordings': { path: '/v1/recordings', ok: ['aAdmin', 200], viewer: 403 },
  'GET /v1/recordings/:id': { path: '/v1/recordings/recA', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/jobs': { path: '/v1/jobs', body: { node: 'nodeA', command: 'true' }, ok: ['aOperator', 201], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/jobs': { path: '/v1/jobs', ok: ['aViewer', 200] },
  // Another customer's admin: its group reads as unknown, so the whole file is refused.
  'POST /v1/fleet/import': { path: '/v1/fleet/import', body: { csv: 'name,group,services,mode,labels\ngw-new,/custA/siteA,,,\n' }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 422] },
  'GET /v1/fleet/export': { path: '/v1/fleet/export', ok: ['aViewer', 200] },
  'GET /v1/jobs/:id': { path: '/v1/jobs/jobA', ok: ['aViewer', 200], outsider: ['bAdmin', 404] },
  'POST /v1/jobs/:id/cancel': { path: '/v1/jobs/jobA/cancel', ok: ['aOperator', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/alert-rules': { path: '/v1/alert-rules', ok: ['aAdmin', 200], viewer: 403 },
  'POST /v1/alert-rules': { path: '/v1/alert-rules', body: { name: 'r2', group: 'custA', spec: { kind: 'job.failed' }, channels: ['alcA'] }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 404] },
  'DELETE /v1/alert-rules/:id': { path: '/v1/alert-rules/alrA', ok: ['aAdmin', 204], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/alert-channels': { path: '/v1/alert-channels', ok: ['aAdmin', 200], viewer: 403 },
  'POST /v1/alert-channels': { path: '/v1/alert-channels', body: { name: 'c2', group: 'custA', spec: { kind: 'webhook', url: 'https://alerts.example.com/hook', secret: '0123456789abcdef' } }, ok: ['aAdmin', 201], viewer: 403, outsider: ['bAdmin', 404] },
  // Authorized, but the channel is still used by rule alrA: 409 proves the rules let it through.
  'DELETE /v1/alert-channels/:id': { path: '/v1/alert-channels/alcA', ok: ['aAdmin', 409, 'CONFLICT'], viewer: 403, outsider: ['bAdmin', 404] },
  'POST /v1/alert-channels/:id/test': { path: '/v1/alert-channels/alcA/test', ok: ['aAdmin', 200], viewer: 403, outsider: ['bAdmin', 404] },
  'GET /v1/alert-deliveries': { path: '/v1/alert-deliveries', ok: ['aAdmin', 200], viewer: 403 },
  'GET /v1/audit/verify': { path: '/v1/audit/verify', ok: ['rootAdmin', 200], viewer: 403 },
  'GET /v1/events': { path: '/v1/events', ok: ['aViewer', 200], stream: true },
};

const code = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

describe('every API route has an authorization rule', () => {
  it('the rule table names exactly the routes the server has', async () => {
    const world = await buildApiWorld();
    after(() => world.close());
    const routes = apiRoutes(world.deps).map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(routes, Object.keys(RULES).sort(), 'a route was added or removed without a rule here');
    for (const r of apiRoutes(world.deps)) {
      const key = `${r.method} ${r.path}`;
      assert.equal(r.permission === 'public', PUBLIC.has(key), `${key} public-ness`);
      assert.equal(r.permission === 'totp-setup', TOTP_SETUP.has(key), `${key} totp-setup`);
    }
  });

  for (const [key, rule] of Object.entries(RULES)) {
    const method = key.split(' ')[0] as string;
    // A fresh world per route: the allowed call changes state (revokes, disables, deletes).
    it(`${key}`, async (t) => {
      const world = await buildApiWorld();
      t.after(() => world.close());
      if (PUBLIC.has(key)) {
        const r = await call(world, undefined, method, rule.path, rule.body);
        assert.notEqual(code(r.body), 'UNAUTHENTICATED', 'a public route must not ask for credentials');
        return;
      }
      const anon = await call(world, undefined, method, rule.path, rule.body);
      assert.equal(anon.status, 401, `anonymous: ${JSON.stringify(anon.body)}`);
      assert.equal(code(anon.body), 'UNAUTHENTICATED');
      if (!TOTP_SETUP.has(key)) {
        const fresh = await call(world, 'aNewOperator', method, rule.path, rule.body);
        assert.equal(fresh.status, 403, 'an operator without TOTP may only enroll it');
        assert.equal(code(fresh.body), 'TOTP_REQUIRED');
      }
      if (rule.viewer) assert.equal((await call(world, 'aViewer', method, rule.path, rule.body)).status, rule.viewer, 'viewer');
      if (rule.outsider) {
        const [who, status] = rule.outsider;
        const r = await call(world, who, method, rule.path, rule.body);
        assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
      }
      assert.ok(rule.ok, 'every protected route names who may call it');
      const [who, status, errorCode] = rule.ok;
      if (rule.stream) {
        const abort = new AbortController();
        const res = await fetch(world.url + rule.path, { headers: { authorization: `Bearer ${world.tokens[who]}` }, signal: abort.signal });
        abort.abort();
        assert.equal(res.status, status, who);
        assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
        return;
      }
      const r = await call(world, who, method, rule.path, rule.body);
      assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
      if (errorCode) assert.equal(code(r.body), errorCode);
    });
  }
});
