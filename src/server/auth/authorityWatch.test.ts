import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { LocalClusterBus } from '../cluster/clusterBus.js';
import { revokeApiToken } from '../store/apiTokenStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import type { AuthorityEndReason } from './authorityBus.js';
import { AuthorityWatch, type AuthorityHolder } from './authorityWatch.js';

describe('AuthorityWatch', () => {
  let world: ApiWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /** A holder of aViewer's CLI token that records how it ended. */
  function holder(w: ApiWorld, o: Partial<AuthorityHolder> = {}) {
    const ends: AuthorityEndReason[] = [];
    let resolve: () => void = () => undefined;
    const ended = new Promise<void>((r) => (resolve = r));
    const h: AuthorityHolder = {
      credential: { userId: w.userIds.aViewer, via: 'token', credentialId: 'tok_aViewer' },
      allows: () => true,
      end: (reason) => {
        ends.push(reason);
        resolve();
      },
      ...o,
    };
    return { h, ends, ended };
  }

  it('ends a holder whose token was revoked at the next sweep, with no signal', async () => {
    const clock = new FakeClock(Date.now());
    world = await buildApiWorld({ clock });
    const { h, ends, ended } = holder(world);
    world.deps.authority.hold(h);
    await revokeApiToken(world.deps.db, 'tok_aViewer', clock.now());
    assert.deepEqual(ends, [], 'nothing signalled the revocation');
    clock.advance(5_000);
    await ended;
    assert.deepEqual(ends, ['token-revoked']);
  });

  it('names a signalled logout as such, and ends each holder once', async () => {
    world = await buildApiWorld();
    const { h, ends, ended } = holder(world);
    world.deps.authority.hold(h);
    await revokeApiToken(world.deps.db, 'tok_aViewer', world.deps.clock.now());
    world.deps.authority.changed({ userId: world.userIds.aViewer, reason: 'logout' });
    await ended;
    await world.deps.authority.recheckAll();
    assert.deepEqual(ends, ['logout']);
  });

  it('ends a holder whose role no longer allows it, and forgets one that is done', async () => {
    world = await buildApiWorld();
    const denied = holder(world, { allows: () => false });
    const done = holder(world, { allows: () => false, done: () => true });
    world.deps.authority.hold(denied.h);
    world.deps.authority.hold(done.h);
    await world.deps.authority.recheckAll();
    assert.deepEqual(denied.ends, ['grant-removed']);
    assert.deepEqual(done.ends, []);
  });

  it('ends a holder on a change another instance announced on the cluster bus', async () => {
    world = await buildApiWorld();
    const { h, ends, ended } = holder(world);
    world.deps.authority.hold(h);
    await revokeApiToken(world.deps.db, 'tok_aViewer', world.deps.clock.now());
    await world.deps.cluster.publish('authority', { userId: world.userIds.aViewer, reason: 'token-revoked' });
    await ended;
    assert.deepEqual(ends, ['token-revoked']);
  });

  it('re-checks every holder at once when the bus resyncs after losing messages', async () => {
    const clock = new FakeClock(Date.now());
    world = await buildApiWorld({ clock });
    let resync = () => undefined as void;
    const bus = Object.assign(new LocalClusterBus('i-000000000002'), {
      onResync: (l: () => void) => {
        resync = l;
        return () => undefined;
      },
    });
    const watch = new AuthorityWatch({ db: world.deps.db, clock, log: silentLogger(), bus });
    try {
      const { h, ends, ended } = holder(world);
      watch.hold(h);
      await revokeApiToken(world.deps.db, 'tok_aViewer', clock.now());
      resync();
      await ended;
      assert.deepEqual(ends, ['token-revoked']);
    } finally {
      watch.close();
    }
  });
});
