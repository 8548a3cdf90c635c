import { after, before } from 'node:test';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { NodeStatusReport } from '../../shared/protocol.js';
import { Database } from '../store/database.js';
import { insertGroup } from '../store/groupStore.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { insertNode } from '../store/nodeStore.js';
import type { NodeConnection } from './nodeConnection.js';

/** A status report with nothing in it. */
export const emptyReport: NodeStatusReport = { uptimeSeconds: 1, load: [0, 0, 0], memory: { totalBytes: 1, freeBytes: 1 }, disk: null, agentVersion: '0.1.0', services: {}, mode: 'always-on', nextCheckInAt: null };

/** A node connection whose status channel is an in-process pipe; `agent` is the node's end. */
export function fakeConnection(nodeId: string): { conn: NodeConnection; agent: Duplex } {
  const ends: Duplex[] = [];
  const end = (other: () => Duplex) => new Duplex({ read: () => undefined, write: (chunk: Buffer, _enc, done) => (other().push(chunk), done()) });
  ends.push(end(() => ends[1] as Duplex), end(() => ends[0] as Duplex));
  const [serverEnd, agent] = ends as [Duplex, Duplex];
  const conn = Object.assign(new EventEmitter(), { nodeId, remoteIp: '192.0.2.7', openStatusChannel: () => Promise.resolve(serverEnd) });
  return { conn: conn as unknown as NodeConnection, agent };
}

/** Registers the suite's hooks for a migrated SQLite store holding node n1 in group g1; the store, once made. */
export function statusChannelStore(name: string): () => Database {
  let root = '';
  let db: Database | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), `burrow-${name}-`));
    db = await Database.open(join(root, 'db.sqlite'));
    await migrate(db, await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url))));
    await insertGroup(db, { id: 'g1', name: 'root', parentId: null }, 0);
    await insertNode(db, { id: 'n1', name: 'n1', groupId: 'g1', publicKey: 'ssh-ed25519 AAAA', status: 'approved', services: [], agentVersion: null, createdAt: 0, enrolledBy: null as unknown as string });
  });
  after(async () => {
    await db?.close();
    await rm(root, { recursive: true, force: true });
  });
  return () => {
    if (!db) throw new Error('the store is made before the suite runs');
    return db;
  };
}
