import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { SecretBox } from '../../shared/secretBox.js';
import { newSecretToken, sha256Hex } from '../../shared/secrets.js';
import { AuthorityWatch } from '../auth/authorityWatch.js';
import { LocalClusterBus, type ClusterBus } from '../cluster/clusterBus.js';
import { hashPassword } from '../auth/password.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import { createApp } from '../http/app.js';
import type { ApiDeps } from '../http/apiDeps.js';
import { SessionManager } from '../sessions/sessionManager.js';
import { SessionQueue } from '../sessionQueue.js';
import { insertApiToken } from '../store/apiTokenStore.js';
import { Database } from '../store/database.js';
import { insertEnrollToken } from '../store/enrollTokenStore.js';
import { insertGroup } from '../store/groupStore.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { insertNode } from '../store/nodeStore.js';
import { insertAlertChannel, insertAlertRule } from '../store/alertStore.js';
import { insertSession } from '../store/sessionStore.js';
import { insertSessionRequest } from '../store/sessionRequestStore.js';
import { grantRole, insertUser } from '../store/userStore.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import { DeniedAttempts } from '../audit/deniedAttempts.js';
import { auditPaths, loadAuditKeys } from '../audit/auditKeys.js';
import { readCheckpoints } from '../audit/auditCheckpointer.js';
import { insertJob } from '../store/jobStore.js';
import { insertRecording } from '../store/recordingStore.js';
import { ApprovalBoard } from '../approvals/approvalBoard.js';

/** The people of the test world, by role. */
export const PEOPLE = ['rootAdmin', 'aAdmin', 'aOperator', 'aViewer', 'bAdmin', 'aNewOperator'] as const;
export type Person = (typeof PEOPLE)[number];

/** The shared password of every test user. */
export const WORLD_PASSWORD = 'correct horse battery staple';

/** A running API over a fresh store with two customers, for authorization tests. */
export interface ApiWorld {
  url: string;
  deps: ApiDeps;
  /** Each person's API token (CLI kind, admin scope: their roles decide). */
  tokens: Record<Person, string>;
  userIds: Record<Person, string>;
  close(): Promise<void>;
}

const MIGRATIONS = new URL('../../../../migrations', import.meta.url).pathname;
let passwordHash: Promise<string> | undefined;

/**
 * Groups: root > custA > siteA, root > custB, custA > emptyA. Nodes nodeA (siteA), nodeB
 * (custB); enrollment tokens etA, etB; sessions sesA, sesB (recorded, not live); API tokens
 * tokA (aOperator), tokB (bAdmin); a recording recA and a job jobA on nodeA. aNewOperator has
 * not enrolled TOTP. An alert channel alcA and rule alrA in custA.
 */
export async function buildApiWorld(o: { clock?: Clock; cluster?: ClusterBus } = {}): Promise<ApiWorld> {
  const clock = o.clock ?? systemClock;
  const dir = await mkdtemp(join(tmpdir(), 'burrow-api-'));
  const db = await Database.open(join(dir, 'burrow.db'));
  await migrate(db, await loadMigrations(MIGRATIONS));
  const auditKeys = await loadAuditKeys(dir);
  db.sealAuditWith(auditKeys.macKey);
  const box = await SecretBox.fromKeyFile(join(dir, 'secret.key'));
  passwordHash ??= hashPassword(WORLD_PASSWORD);
  const hash = await passwordHash;
  const now = clock.now();
  const roles: Record<Person, [string, 'admin' | 'operator' | 'viewer']> = {
    rootAdmin: ['root', 'admin'],
    aAdmin: ['custA', 'admin'],
    aOperator: ['siteA', 'operator'],
    aViewer: ['custA', 'viewer'],
    bAdmin: ['custB', 'admin'],
    aNewOperator: ['custA', 'operator'],
  };
  const tokens = {} as Record<Person, string>;
  const userIds = {} as Record<Person, string>;
  await db.transaction(async (tx) => {
    for (const [id, parentId] of [['root', null], ['custA', 'root'], ['custB', 'root'], ['siteA', 'custA'], ['emptyA', 'custA']] as const) {
      await insertGroup(tx, { id, name: id, parentId }, now);
    }
    for (const person of PEOPLE) {
      const id = `usr_${person}`;
      userIds[person] = id;
      await insertUser(tx, { id, email: `${person}@example.com`, passwordHash: hash, totpSecretEnc: null, totpConfirmed: person !== 'aNewOperator', createdAt: now });
      const [group, role] = roles[person];
      await grantRole(tx, id, group, role);
      tokens[person] = newSecretToken('brt');
      await insertApiToken(tx, { id: `tok_${person}`, userId: id, name: 'cli', tokenHash: sha256Hex(tokens[person]), scope: 'admin', kind: 'cli', createdAt: now, expiresAt: now + 3_600_000, groupId: null });
    }
    for (const [id, owner] of [['tokA', 'aOperator'], ['tokB', 'bAdmin']] as const) {
      await insertApiToken(tx, { id, userId: userIds[owner], name: id, tokenHash: sha256Hex(id), scope: 'read', kind: 'api', createdAt: now, expiresAt: now + 3_600_000, groupId: null });
    }
    for (const [id, groupId, key] of [['nodeA', 'siteA', 'A'], ['nodeB', 'custB', 'B']] as const) {
      await insertNode(tx, { id, name: id, groupId, publicKey: `ssh-ed25519 key${key}`, status: 'approved', services: ['webui'], agentVersion: null, createdAt: now, enrolledBy: null });
      await appendAudit(tx, { actor: 'system', action: 'test.seed', target: id, result: 'ok', groupId }, now);
    }
    for (const [id, groupId] of [['etA', 'custA'], ['etB', 'custB']] as const) {
      await insertEnrollToken(tx, { id, tokenHash: sha256Hex(id), groupId, maxUses: 1, autoApprove: false, createdBy: null, createdAt: now, expiresAt: now + 3_600_000 });
    }
    await insertRecording(tx, { id: 'recA', nodeId: 'nodeA', groupId: 'siteA', userId: userIds.rootAdmin, startedAt: now });
    await insertJob(tx, { id: 'jobA', kind: 'command', command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 60_000, stopAfterFailures: null, createdBy: userIds.rootAdmin, groupId: 'siteA', createdAt: now, expiresAt: now + 3_600_000 }, ['nodeA']);
    for (const [id, nodeId] of [['sreqA', 'nodeA'], ['sreqB', 'nodeB']] as const) {
      await insertSessionRequest(tx, { id, nodeId, userId: userIds.aOperator, service: 'webui', sourceIp: '127.0.0.1', requestedAt: now, expiresAt: now + 3_600_000 });
    }
    for (const [id, nodeId] of [['sesA', 'nodeA'], ['sesB', 'nodeB']] as const) {
      await insertSession(tx, { id, nodeId, userId: userIds.rootAdmin, service: 'webui', type: 'http', port: 40001, sourceIp: '127.0.0.1', openedAt: now, expiresAt: now + 3_600_000 }, 'i-000000000001');
    }
    // An alert channel alcA (to a refused address, so a test send fails without a network) and a rule alrA using it, in custA.
    await insertAlertChannel(tx, { id: 'alcA', groupId: 'custA', name: 'alcA', kind: 'webhook', config: { url: 'https://127.0.0.1:9/' }, secretSealed: null, createdBy: null, createdAt: now });
    await insertAlertRule(tx, { id: 'alrA', groupId: 'custA', name: 'alrA', spec: { kind: 'job.failed' }, channelIds: ['alcA'], quietMs: 0, createdBy: null, createdAt: now });
  });
  const registry = new NodeRegistry();
  const log = silentLogger();
  const denials = new DeniedAttempts({ clock, log, write: (e, at) => recordAudit(db, e, at) });
  const sessions = new SessionManager({
    db,
    registry,
    instanceId: 'i-000000000001',
    clock,
    log,
    tlsOptions: {},
    limits: { range: [40000, 40100], host: '127.0.0.1', publicHost: '127.0.0.1', ttlMs: 3_600_000, idleMs: 600_000, nodeGraceMs: 1000, concurrency: { perUser: 20, perNode: 20, total: 100 } },
  });
  const queue = new SessionQueue({ db, clock, log, registry, sessions, maxWaitMs: 3_600_000, viewSession: async () => null });
  const cluster = o.cluster ?? new LocalClusterBus('i-000000000001');
  const authority = new AuthorityWatch({ db, clock, log, bus: cluster });
  const approvalBoard = new ApprovalBoard(cluster);
  const deps: ApiDeps = { db, clock, log, box, authority, cluster, approvalBoard, registry, sessions, queue, sshHostKeyPub: 'ssh-ed25519 AAAA', tlsPin: `sha256/${'A'.repeat(43)}`, publicUrl: 'https://127.0.0.1:8443', recordingsDir: join(dir, 'recordings'),
    denials,
    audit: { macKey: auditKeys.macKey, publicKeyPem: auditKeys.publicKeyPem, checkpoints: () => readCheckpoints(auditPaths(dir).checkpoints) } };
  // A finished transcript on nodeA, so the replay route has something to serve.
  await mkdir(deps.recordingsDir, { recursive: true });
  await writeFile(join(deps.recordingsDir, 'recA.cast'), '{"version":2,"width":80,"height":24}\n[0.1,"o","hello"]\n');
  const server = http.createServer(createApp(deps).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deps,
    tokens,
    userIds,
    async close() {
      authority.close();
      approvalBoard.close();
      await cluster.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await denials.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One API call of a test: status and parsed JSON body (if any). */
export async function call(world: ApiWorld, as: Person | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (as) headers.authorization = `Bearer ${world.tokens[as]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(world.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Exports are not JSON; keep the text.
  }
  return { status: res.status, body: parsed };
}
