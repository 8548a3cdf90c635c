import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../shared/clock.js';
import { CLI_TOKEN_TTL_MS } from '../../auth/login.js';
import { sha256Hex } from '../../../shared/secrets.js';
import { insertApiToken } from '../../store/apiTokenStore.js';
import { listAudit } from '../../store/auditStore.js';
import { buildApiWorld, call, type ApiWorld, type Person } from '../../testing/apiWorld.js';
import { openSse, type SseFrame, type SseReader } from '../../testing/sseReader.js';

/** An automation token's secret, inserted by the test that revokes it. */
const CI_TOKEN = 'brt_ci-token-for-the-revocation-test';

/** Reads frames until the stream ends (failing if it is still open after 5 s); returns them all. */
async function rest(s: SseReader) {
  const frames: SseFrame[] = [];
  let open = true;
  let timedOut = false;
  const bound = setTimeout(() => {
    timedOut = true;
    s.close();
  }, 5_000);
  while (open) {
    try {
      frames.push(await s.next());
    } catch {
      open = false;
    }
  }
  clearTimeout(bound);
  assert.ok(!timedOut, `the stream was still open after 5 s: ${JSON.stringify(frames)}`);
  return frames;
}

describe('an event stream whose authority ends', () => {
  let world: ApiWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function streamOf(who: Person, clock?: FakeClock, token?: string) {
    world = await buildApiWorld(clock ? { clock } : {});
    // An automation token of aViewer's, for the test that revokes it.
    await insertApiToken(world.deps.db, { id: 'tok_ci', userId: world.userIds.aViewer, name: 'ci', tokenHash: sha256Hex(CI_TOKEN), scope: 'read', kind: 'api', createdAt: 0, expiresAt: world.deps.clock.now() + 3_600_000, groupId: null });
    const s = await openSse(`${world.url}/v1/events`, token ?? world.tokens[who]);
    assert.equal((await s.next()).event, 'ready');
    return { w: world, s };
  }

  /** The audit entries about event streams ending. */
  async function ends(w: ApiWorld) {
    // Read from the store: after a token expiry every token of the world has expired.
    return (await listAudit(w.deps.db, { action: 'events.close' })).map((r) => ({ actor: r.actor, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  for (const [what, who, act, reason] of [
    ['its user loses the only grant', 'aViewer', (w: ApiWorld) => call(w, 'rootAdmin', 'DELETE', '/v1/users/usr_aViewer/grants/custA'), 'grant-removed'],
    ['its user is disabled', 'aOperator', (w: ApiWorld) => call(w, 'rootAdmin', 'POST', '/v1/users/usr_aOperator/disable'), 'user-disabled'],
    ['its user logs out', 'aViewer', (w: ApiWorld) => call(w, 'aViewer', 'POST', '/v1/auth/logout'), 'logout'],
    ['its token is revoked', 'aViewer', (w: ApiWorld) => call(w, 'aViewer', 'DELETE', '/v1/tokens/tok_ci'), 'token-revoked'],
  ] as const) {
    it(`ends when ${what}, and says why`, async () => {
      const { w, s } = await streamOf(who, undefined, reason === 'token-revoked' ? CI_TOKEN : undefined);
      const r = await act(w);
      assert.ok(r.status < 300, JSON.stringify(r.body));
      // Nothing after the change reaches the stream but the notice that it ended.
      w.deps.registry.emit('offline', 'nodeA');
      const frames = await rest(s);
      assert.deepEqual(frames.map((f) => f.event), ['end']);
      assert.equal(frames[0]?.data.reason, reason);
      const audited = await ends(w);
      assert.equal(audited.length, 1);
      assert.equal(audited[0]?.actor, w.userIds[who]);
      assert.equal(audited[0]?.detail.reason, reason);
    });
  }

  it('ends when its token expires, without any signal', async () => {
    const clock = new FakeClock(Date.now());
    const { w, s } = await streamOf('aViewer', clock);
    clock.advance(CLI_TOKEN_TTL_MS + 3_600_000);
    const frames = await rest(s);
    assert.deepEqual(frames.map((f) => [f.event, f.data.reason]), [['end', 'token-expired']]);
    assert.equal((await ends(w))[0]?.detail.reason, 'token-expired');
  });

  it('delivers only what the user may see at the moment of delivery', async () => {
    world = await buildApiWorld();
    const w = world;
    assert.equal((await call(w, 'rootAdmin', 'POST', '/v1/users/usr_aViewer/grants', { group: 'custB', role: 'viewer' })).status, 200);
    const s = await openSse(`${w.url}/v1/events`, w.tokens.aViewer);
    assert.equal((await s.next()).event, 'ready');
    assert.equal((await call(w, 'rootAdmin', 'DELETE', '/v1/users/usr_aViewer/grants/custA')).status, 204);
    w.deps.registry.emit('offline', 'nodeA');
    w.deps.sessions.emit('opened', { id: 'sesA', nodeId: 'nodeA', state: 'open' }, 'siteA');
    w.deps.registry.emit('offline', 'nodeB');
    const next = await s.next();
    assert.deepEqual([next.event, next.data.id], ['node.offline', 'nodeB'], 'custA is no longer the viewer\'s; custB still is');
    s.close();
  });
});
