import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import type { Database } from '../store/database.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { TestStore } from '../store/testStores.js';
import { listAudit } from '../store/auditStore.js';
import { getNodeTraffic, putNodeBudget, setBudgetOverride } from '../store/dataBudgetStore.js';
import { TunnelTraffic } from './tunnelTraffic.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const FLUSH_MS = 10_000;
/** 2026-11-30 23:59:40 UTC: twenty seconds before the count starts over. */
const NEAR_MONTH_END = Date.UTC(2026, 10, 30, 23, 59, 40);

class FakeSocket extends EventEmitter {
  bytesRead = 0;
  bytesWritten = 0;
}
const stream = { pause: () => undefined, resume: () => undefined };

describe('TunnelTraffic', () => {
  const store = new TestStore('sqlite');
  let db: Database;
  let clock: FakeClock;
  let traffic: TunnelTraffic;
  after(() => store.close());
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    clock = new FakeClock(NEAR_MONTH_END);
    traffic = new TunnelTraffic({ db, clock, log: createLogger({ level: 'silent' }), flushMs: FLUSH_MS });
    traffic.start();
  });

  it('writes counts to the store every flush interval, not before', async () => {
    const s = new FakeSocket();
    traffic.track('nd_1', s, stream);
    await traffic.settled();
    s.bytesRead = 1_000;
    s.bytesWritten = 300;
    clock.advance(FLUSH_MS - 1);
    await traffic.settled();
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-11'), { bytesIn: 0, bytesOut: 0 });
    clock.advance(1);
    await traffic.settled();
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-11'), { bytesIn: 1_000, bytesOut: 300 });
    await traffic.close();
  });

  it('writes the last bytes when a tunnel ends, and at close', async () => {
    const a = new FakeSocket();
    const b = new FakeSocket();
    traffic.track('nd_1', a, stream);
    traffic.track('nd_1', b, stream);
    a.bytesRead = 50;
    a.emit('close');
    await traffic.settled();
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-11'), { bytesIn: 50, bytesOut: 0 });
    b.bytesWritten = 70;
    await traffic.close();
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-11'), { bytesIn: 50, bytesOut: 70 });
  });

  it('counts bytes towards the month (UTC) in which they are written', async () => {
    const s = new FakeSocket();
    traffic.track('nd_1', s, stream);
    s.bytesRead = 100;
    clock.advance(FLUSH_MS);
    await traffic.settled();
    s.bytesRead = 300;
    clock.advance(FLUSH_MS);
    await traffic.settled();
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-11'), { bytesIn: 100, bytesOut: 0 });
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-12'), { bytesIn: 200, bytesOut: 0 });
    await traffic.close();
  });

  it('audits the 80 % and 100 % notices once each, throttles a spent budget, and lets an override lift it', async () => {
    await putNodeBudget(db, { nodeId: 'nd_1', monthlyBytes: 1_000, over: 'refuse', rateBytes: 4_096 }, clock.now());
    const s = new FakeSocket();
    traffic.track('nd_1', s, stream);
    s.bytesRead = 850;
    await traffic.flushAll();
    assert.equal(traffic.rateOf('nd_1'), null);
    s.bytesRead = 900;
    await traffic.flushAll();
    assert.deepEqual((await listAudit(db, { action: 'node.budget' })).map((e) => e.action), ['node.budget.warning']);
    s.bytesWritten = 200;
    await traffic.flushAll();
    await traffic.flushAll();
    assert.deepEqual((await listAudit(db, { action: 'node.budget' })).map((e) => e.action), ['node.budget.exceeded', 'node.budget.warning']);
    assert.equal(traffic.rateOf('nd_1'), 4_096);
    await setBudgetOverride(db, 'nd_1', clock.now() + 15_000, clock.now());
    await traffic.flushAll();
    assert.equal(traffic.rateOf('nd_1'), null);
    // The override ends: the throttle is back at the next flush.
    clock.advance(15_000);
    await traffic.settled();
    await traffic.flushAll();
    assert.equal(traffic.rateOf('nd_1'), 4_096);
    await traffic.close();
  });
});
