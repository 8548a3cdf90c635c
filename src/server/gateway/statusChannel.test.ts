import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { FakeClock } from '../../shared/clock.js';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import { createLogger } from '../../shared/log.js';
import type { NodeStatusReport, StatusReply } from '../../shared/protocol.js';
import { Database } from '../store/database.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { insertGroup } from '../store/groupStore.js';
import { insertNode } from '../store/nodeStore.js';
import { listAudit } from '../store/auditStore.js';
import { listNodeStatus } from '../store/nodeStatusStore.js';
import type { NodeConnection } from './nodeConnection.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';
import { serveStatusChannel } from './statusChannel.js';

const report: NodeStatusReport = { uptimeSeconds: 1, load: [0, 0, 0], memory: { totalBytes: 1, freeBytes: 1 }, disk: null, agentVersion: '0.1.0', services: {}, mode: 'always-on', nextCheckInAt: null };

/** A node connection whose status channel is an in-process pipe; `agent` is the node's end. */
function fakeConnection(nodeId: string): { conn: NodeConnection; agent: Duplex } {
  const ends: Duplex[] = [];
  const end = (other: () => Duplex) => new Duplex({ read: () => undefined, write: (chunk: Buffer, _enc, done) => (other().push(chunk), done()) });
  ends.push(end(() => ends[1] as Duplex), end(() => ends[0] as Duplex));
  const [serverEnd, agent] = ends as [Duplex, Duplex];
  const conn = Object.assign(new EventEmitter(), { nodeId, remoteIp: '192.0.2.7', openStatusChannel: () => Promise.resolve(serverEnd) });
  return { conn: conn as unknown as NodeConnection, agent };
}

describe('status channel against a hostile node', () => {
  let root = '';
  let db: Database;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'burrow-status-channel-'));
    db = await Database.open(join(root, 'db.sqlite'));
    await migrate(db, await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url))));
    await insertGroup(db, { id: 'g1', name: 'root', parentId: null }, 0);
    await insertNode(db, { id: 'n1', name: 'n1', groupId: 'g1', publicKey: 'ssh-ed25519 AAAA', status: 'approved', services: [], agentVersion: null, createdAt: 0, enrolledBy: null as unknown as string });
  });
  after(async () => {
    await db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('registers one key rotation per interval and keeps status rows within the budget, however fast the node asks', async () => {
    const clock = new FakeClock(1_000_000);
    const { conn, agent } = fakeConnection('n1');
    await serveStatusChannel(conn, { db, clock, log: createLogger({ level: 'silent' }), historyLimit: 1000, holdsWork: () => Promise.resolve(false), statusBudget: new NodeWriteBudget(clock, 12), keyRotationMinIntervalMs: 3_600_000 });
    const replies: StatusReply[] = [];
    let wake = () => undefined as void;
    readJsonLines(agent, 64 * 1024, (v) => {
      replies.push(v as StatusReply);
      wake();
    });
    const publicKey = ssh2.utils.generateKeyPairSync('ed25519').public.trim();
    for (let i = 0; i < 199; i++) writeJsonLine(agent, { rotateKey: { publicKey } });
    for (let i = 0; i < 100; i++) writeJsonLine(agent, { report });
    await new Promise<void>((resolve) => {
      wake = () => (replies.length >= 299 ? resolve() : undefined);
      wake();
    });

    assert.equal(replies.filter((r) => r.keyRegistered).length, 1);
    const refused = replies.filter((r) => r.keyRefused);
    assert.equal(refused.length, 198);
    assert.match(refused[0]?.keyRefused ?? '', /rotated its key less than 1h ago; one rotation per 1h is allowed/);
    assert.equal((await listAudit(db, { action: 'node.key.register' })).length, 1, 'one audit row, not 199');
    assert.equal((await listNodeStatus(db, 'n1', 1000)).length, 12, 'a burst of 12 status rows, the rest answered but not kept');

    // Past the interval, the node may rotate again.
    clock.advance(3_600_000);
    const next = ssh2.utils.generateKeyPairSync('ed25519').public.trim();
    writeJsonLine(agent, { rotateKey: { publicKey: next } });
    await new Promise<void>((resolve) => {
      wake = () => (replies.length >= 300 ? resolve() : undefined);
    });
    assert.equal(replies.at(-1)?.keyRegistered, next);
    conn.emit('close');
  });
});
