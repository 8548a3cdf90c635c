import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { BatchedWrites } from './batchedWrites.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { insertGroup } from './groupStore.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const T = 1_700_000_000_000;

describeEachStore('batched writes', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
  });
  const groups = async () => (await db.all<{ id: string }>('SELECT id FROM groups ORDER BY id')).map((r) => r.id);

  it('commits writes handed over together in one transaction, and one alone at once', async () => {
    const writes = new BatchedWrites(db);
    await writes.run((tx) => insertGroup(tx, { id: 'g000', name: 'first', parentId: null }, T));
    assert.equal(writes.transactions, 1);
    const names = Array.from({ length: 50 }, (_, i) => `g${String(i + 1).padStart(3, '0')}`);
    await Promise.all(names.map((id) => writes.run((tx) => insertGroup(tx, { id, name: id, parentId: null }, T))));
    assert.equal(writes.transactions, 2, 'fifty writes in one more transaction');
    assert.deepEqual(await groups(), ['g000', ...names]);
  });

  it('keeps every other write of a batch when one fails, and fails only that one', async () => {
    await insertGroup(db, { id: 'taken', name: 'taken', parentId: null }, T);
    const writes = new BatchedWrites(db);
    const results = await Promise.allSettled([
      writes.run((tx) => insertGroup(tx, { id: 'a', name: 'a', parentId: null }, T)),
      writes.run((tx) => insertGroup(tx, { id: 'taken', name: 'again', parentId: null }, T)),
      writes.run((tx) => insertGroup(tx, { id: 'b', name: 'b', parentId: null }, T)),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(await groups(), ['a', 'b', 'taken']);
    await writes.settled();
  });
});
