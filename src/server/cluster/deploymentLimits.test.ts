import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { SecretBox } from '../../shared/secretBox.js';
import { sha256Hex } from '../../shared/secrets.js';
import { formatEnrollToken } from '../../shared/enrollProtocol.js';
import { generateEd25519 } from '../../shared/sshKeys.js';
import { checkSecondFactor } from '../auth/login.js';
import { beginSignInStep, signInKeys } from '../auth/signInThrottle.js';
import { ACCOUNT_POLICY } from '../auth/loginThrottle.js';
import { newTotpSecret } from '../auth/totp.js';
import { stepOf, totpAtStep } from '../auth/totpReference.testkit.js';
import { enrollNode } from '../enrollment.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import { SessionManager } from '../sessions/sessionManager.js';
import type { Database } from '../store/database.js';
import { insertEnrollToken, listEnrollTokens } from '../store/enrollTokenStore.js';
import { insertGroup } from '../store/groupStore.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { insertNode, listNodes } from '../store/nodeStore.js';
import { getThrottle } from '../store/throttleStore.js';
import { getUser, insertUser } from '../store/userStore.js';
import { describeEachStore } from '../store/testStores.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const T = 1_700_000_000_000;
const TOTP_SECRET = newTotpSecret();

/** A connected node offering `webui`, without a tunnel behind it. */
function fakeConnection(nodeId: string): NodeConnection {
  const conn = Object.assign(new EventEmitter(), { nodeId, services: new Set(['webui']), targets: new Map(), close: () => conn.emit('close') });
  return conn as unknown as NodeConnection;
}

const codeOf = (err: unknown) => (err as { code?: string }).code;

/**
 * What must hold for the deployment as a whole, not per process: two "instances" (two
 * connections to one database, as two server processes hold) race for the same limit, and
 * together they never exceed it.
 */
describeEachStore('limits across instances', (store) => {
  let a: Database;
  let b: Database;
  let box: SecretBox;
  const clock = new FakeClock(T);

  beforeEach(async () => {
    a = await store.create();
    await migrate(a, await loadMigrations(MIGRATIONS));
    b = await store.another(a);
    const dir = await mkdtemp(join(tmpdir(), 'burrow-limits-'));
    box = await SecretBox.fromKeyFile(join(dir, 'secret.key'));
    await rm(dir, { recursive: true, force: true });
    await a.transaction(async (tx) => {
      await insertGroup(tx, { id: 'root', name: 'root', parentId: null }, T);
      await insertUser(tx, { id: 'usr_a', email: 'a@example.com', passwordHash: 'h', totpSecretEnc: box.seal(TOTP_SECRET, 'usr_a'), totpConfirmed: true, createdAt: T });
      await insertUser(tx, { id: 'usr_b', email: 'b@example.com', passwordHash: 'h', totpSecretEnc: null, totpConfirmed: true, createdAt: T });
      for (const id of ['nodeA', 'nodeB']) {
        await insertNode(tx, { id, name: id, groupId: 'root', publicKey: `ssh-ed25519 ${id}`, status: 'approved', services: ['webui'], agentVersion: null, createdAt: T, enrolledBy: null });
      }
    });
  });

  let instances = 0;
  /** A session manager of one instance: its own store connection and its own node registry. */
  function instance(db: Database, concurrency: { perUser: number; perNode: number; total: number }): SessionManager {
    const registry = new NodeRegistry();
    registry.add(fakeConnection('nodeA'));
    registry.add(fakeConnection('nodeB'));
    return new SessionManager({
      db,
      registry,
      instanceId: `i-00000000000${(instances += 1) % 10}`,
      clock,
      log: silentLogger(),
      tlsOptions: {},
      limits: { range: [40000, 40100], host: '127.0.0.1', publicHost: '127.0.0.1', ttlMs: 3_600_000, idleMs: 600_000, nodeGraceMs: 1000, concurrency },
    });
  }

  for (const [limit, concurrency, asks] of [
    ['per user', { perUser: 2, perNode: 20, total: 20 }, (i: number) => ({ nodeId: i % 2 ? 'nodeA' : 'nodeB', userId: 'usr_a' })],
    ['per node', { perUser: 20, perNode: 2, total: 20 }, (i: number) => ({ nodeId: 'nodeA', userId: i % 2 ? 'usr_a' : 'usr_b' })],
    ['in total', { perUser: 20, perNode: 20, total: 2 }, (i: number) => ({ nodeId: i % 2 ? 'nodeA' : 'nodeB', userId: i % 2 ? 'usr_a' : 'usr_b' })],
  ] as const) {
    it(`opens no more sessions ${limit} than the limit, however two instances race`, async () => {
      const one = instance(a, concurrency);
      const two = instance(b, concurrency);
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => (i < 3 ? one : two).open({ ...asks(i), service: 'webui', type: 'tcp', sourceIp: '127.0.0.1' })),
        );
        const opened = results.filter((r) => r.status === 'fulfilled').length;
        assert.equal(opened, 2, 'exactly the limit opened');
        for (const r of results) if (r.status === 'rejected') assert.equal(codeOf(r.reason), 'SESSION_LIMIT');
        const open = await a.get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE closed_at IS NULL');
        assert.equal(open?.n, 2);
      } finally {
        await Promise.all([one.closeAll('test-end'), two.closeAll('test-end')]);
      }
    });
  }

  it('counts a session another instance closed as closed', async () => {
    const one = instance(a, { perUser: 1, perNode: 20, total: 20 });
    const two = instance(b, { perUser: 1, perNode: 20, total: 20 });
    try {
      const s = await one.open({ nodeId: 'nodeA', userId: 'usr_a', service: 'webui', type: 'tcp', sourceIp: '127.0.0.1' });
      await assert.rejects(two.open({ nodeId: 'nodeB', userId: 'usr_a', service: 'webui', type: 'tcp', sourceIp: '127.0.0.1' }), (err) => codeOf(err) === 'SESSION_LIMIT');
      await one.close(s.id, 'closed-by-user');
      await two.open({ nodeId: 'nodeB', userId: 'usr_a', service: 'webui', type: 'tcp', sourceIp: '127.0.0.1' });
    } finally {
      await Promise.all([one.closeAll('test-end'), two.closeAll('test-end')]);
    }
  });

  it('accepts a TOTP code once, whichever instance it is used on first', async () => {
    const user = await getUser(a, 'usr_a');
    assert.ok(user);
    const code = totpAtStep(TOTP_SECRET, stepOf(clock.now()));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => checkSecondFactor({ db: i % 2 ? a : b, clock, box }, user, { totp: code }, `192.0.2.${i}`)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(codeOf(r.reason), 'TOTP_INVALID');
  });

  it('throttles sign-ins on the account however the attempts spread over instances', async () => {
    const keys = signInKeys('a@example.com', '192.0.2.7');
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).transaction((tx) => beginSignInStep(tx, keys, clock.now()))));
    // As many as the account's free failures are admitted, not that many per instance.
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, ACCOUNT_POLICY.freeFailures);
    for (const r of results) if (r.status === 'rejected') assert.equal(codeOf(r.reason), 'RATE_LIMITED');
    assert.equal((await getThrottle(b, keys.account))?.failures, ACCOUNT_POLICY.freeFailures);
  });

  it('spends an enrollment token no more often than its uses, from any instance', async () => {
    const secret = 'deploymentlimitssecret';
    await insertEnrollToken(a, { id: 'et_1', tokenHash: sha256Hex(secret), groupId: 'root', maxUses: 2, autoApprove: true, createdBy: null, createdAt: T, expiresAt: T + 3_600_000 });
    const token = formatEnrollToken(secret, `sha256/${'A'.repeat(43)}`);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        enrollNode({ db: i % 2 ? a : b, clock, sshHostKeyPub: 'ssh-ed25519 AAAA', tunnelUrl: 'wss://127.0.0.1/v1/tunnel' }, { token, name: `n${i}`, publicKey: generateEd25519().public, services: [] }, '127.0.0.1'),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    for (const r of results) if (r.status === 'rejected') assert.equal(codeOf(r.reason), 'ENROLL_TOKEN_INVALID');
    assert.equal((await listEnrollTokens(b)).find((t) => t.id === 'et_1')?.uses, 2);
    assert.equal((await listNodes(b)).filter((n) => /^n\d$/.test(n.name)).length, 2);
  });
});
