import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { insertGroup } from './groupStore.js';
import { loadMigrations, migrate } from './migrate.js';
import { insertNode } from './nodeStore.js';
import type { TestStore } from './testStores.js';

/** The repository's migrations. */
const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));

/** A new migrated database of `store` whose root group g1 holds an approved node per id (named as its id). */
export async function storeWithApprovedNodes(store: TestStore, ids: readonly string[]): Promise<Database> {
  const db = await store.create();
  await migrate(db, await loadMigrations(MIGRATIONS));
  await insertGroup(db, { id: 'g1', name: 'root', parentId: null }, 0);
  for (const id of ids) {
    await insertNode(db, { id, name: id, groupId: 'g1', publicKey: `ssh-ed25519 ${id}`, status: 'approved', services: [], agentVersion: null, createdAt: 0, enrolledBy: null as unknown as string });
  }
  return db;
}
