import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore } from './testStores.js';

describe('a dedicated PostgreSQL connection', () => {
  const store = new TestStore('postgres');
  after(() => store.close());

  it('is named, opens again after its connection is lost, and refuses statements once closed', async () => {
    const db = await store.create();
    const line = db.dedicated('burrow dedicated test');
    const backend = async () => (await line.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))?.pid;
    const first = await backend();
    assert.equal((await db.get<{ name: string }>('SELECT application_name AS name FROM pg_stat_activity WHERE pid = ?', [first ?? 0]))?.name, 'burrow dedicated test');
    await db.get('SELECT pg_terminate_backend(?)', [first ?? 0]);
    // The statement that finds the connection gone fails, unless its loss was seen first; the next runs on a new one.
    const second = await backend().catch(() => backend());
    assert.equal(typeof second, 'number');
    assert.notEqual(second, first);
    await line.close();
    await assert.rejects(line.get('SELECT 1'), /closed/);
  });
});
