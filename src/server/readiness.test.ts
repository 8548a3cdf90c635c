import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readinessChecks } from './readiness.js';
import type { BusLinkState } from './cluster/clusterBus.js';
import { Database } from './store/database.js';
import { loadMigrations, migrate } from './store/migrate.js';
import { MIGRATIONS_DIR } from './serverHome.js';

describe('readiness', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-ready-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is not ready before the store is migrated, nor with a port down, nor with the store gone', async () => {
    const db = await Database.open(join(dir, 'burrow.db'));
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    const api = { listening: true };
    const check = readinessChecks({ store: db, migrations: migrations.map((m) => m.version), listeners: { api } });
    assert.deepEqual(await check(), ['migrations'], 'a fresh store');
    await migrate(db, migrations.slice(0, 3));
    assert.deepEqual(await check(), ['migrations'], 'a store a few migrations behind');
    await migrate(db, migrations);
    assert.deepEqual(await check(), []);
    api.listening = false;
    assert.deepEqual(await check(), ['api port']);
    api.listening = true;
    await db.close();
    assert.deepEqual(await check(), ['store']);
  });

  it('is not ready while the cluster bus is not listening, naming its state', async () => {
    const db = await Database.open(join(dir, 'bus.db'));
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    await migrate(db, migrations);
    const bus: { linkState: BusLinkState } = { linkState: 'listening' };
    const check = readinessChecks({ store: db, migrations: migrations.map((m) => m.version), listeners: {}, bus });
    assert.deepEqual(await check(), []);
    bus.linkState = 'reconnecting';
    assert.deepEqual(await check(), ['cluster bus (reconnecting)']);
    bus.linkState = 'resyncing';
    assert.deepEqual(await check(), ['cluster bus (resyncing)']);
    bus.linkState = 'in-process';
    assert.deepEqual(await check(), []);
    await db.close();
  });
});
