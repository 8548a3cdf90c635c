import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { generateEd25519 } from '../../shared/sshKeys.js';
import type { Access } from '../auth/access.js';
import { GroupTree } from '../auth/groupTree.js';
import { enrollNode } from '../enrollment.js';
import type { Database, Queryable } from '../store/database.js';
import { insertGroup, listGroups } from '../store/groupStore.js';
import { markNodeDeleted } from '../store/nodeLifecycleStore.js';
import { getNode, insertNode, listNodes } from '../store/nodeStore.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { describeEachStore } from '../store/testStores.js';
import { insertUser } from '../store/userStore.js';
import { importNodes, type NodeImportContext } from './nodeImport.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const T = 1_700_000_000_000;
const PIN = `sha256/${'A'.repeat(43)}`;
const HEADER = 'name,group,services,mode,labels';
const file = (...lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`;
const OPTS = { dryRun: false, skipBad: false, tokenTtlMs: 86_400_000 };
/** The importer administers /site-a and only views /site-b; /cust-x is another customer's. */
const ACCESS: Access = { grants: [{ groupId: 'siteA', role: 'admin' }, { groupId: 'siteB', role: 'viewer' }], scope: 'admin', limitGroupId: null };

const count = async (db: Queryable, table: string) => (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n;

/** The database, with every transaction's second node insert failing: the import must leave nothing behind. */
function failingOnSecondNode(db: Database): Database {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver) as unknown;
      return <T>(fn: (tx: Queryable) => Promise<T>) =>
        target.transaction((tx) => {
          let nodes = 0;
          const wrapped: Queryable = new Proxy(tx, {
            get(t, p, r) {
              if (p !== 'run') return Reflect.get(t, p, r) as unknown;
              return async (sql: string, params?: readonly (string | number | bigint | Buffer | null)[]) => {
                if (sql.startsWith('INSERT INTO nodes') && ++nodes === 2) throw new Error('disk unplugged');
                return t.run(sql, params);
              };
            },
          });
          return fn(wrapped);
        });
    },
  });
}

describeEachStore('node import', (store) => {
  let db: Database;
  let clock: FakeClock;
  let ctx: () => Promise<NodeImportContext>;

  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    clock = new FakeClock(T);
    for (const [id, name, parentId] of [['root', 'root', null], ['siteA', 'site-a', 'root'], ['lineA', 'line-1', 'siteA'], ['siteB', 'site-b', 'root'], ['custX', 'cust-x', 'root']] as const) {
      await insertGroup(db, { id, name, parentId }, T);
    }
    await insertUser(db, { id: 'usr_imp', email: 'imp@example.com', passwordHash: 'x', totpSecretEnc: null, totpConfirmed: true, createdAt: T });
    await insertNode(db, { id: 'nd_taken', name: 'taken', groupId: 'siteA', publicKey: 'ssh-ed25519 AAAAtaken', status: 'approved', services: [], agentVersion: null, createdAt: T, enrolledBy: null });
    ctx = async () => ({ db, clock, tlsPin: PIN, publicUrl: 'https://burrow.test:8443', userId: 'usr_imp', access: ACCESS, tree: new GroupTree(await listGroups(db)), sourceIp: '192.0.2.1' });
  });

  it('refuses a file with bad lines, naming each, and writes nothing', async () => {
    const before = { nodes: await count(db, 'nodes'), tokens: await count(db, 'enroll_tokens'), audit: await count(db, 'audit_log') };
    const text = file('gw-1,/site-a,web=127.0.0.1:80,,', 'gw-2,/nowhere,,,', 'gw-3,/cust-x,,,', 'gw-4,/site-b,,,', 'taken,/site-a,,,', 'gw-6,/site-a/line-1,,,');
    const r = await importNodes(await ctx(), text, OPTS);
    assert.equal(r.imported, false);
    assert.equal(r.total, 6);
    assert.deepEqual(r.errors, [
      { line: 3, message: 'unknown group /nowhere' },
      { line: 4, message: 'unknown group /cust-x' },
      { line: 5, message: 'you are not an admin of group /site-b' },
      { line: 6, message: 'duplicate name taken: group /site-a already has a node of that name' },
    ]);
    assert.deepEqual({ nodes: await count(db, 'nodes'), tokens: await count(db, 'enroll_tokens'), audit: await count(db, 'audit_log') }, before);
  });

  it('creates every node of a good file, pending with a token bound to it, and audits the import', async () => {
    const dry = await importNodes(await ctx(), file('gw-1,/site-a,web=127.0.0.1:80,,site=paris', 'gw-2,/site-a/line-1,,on-demand;window=daily 08:00-09:00,'), { ...OPTS, dryRun: true });
    assert.deepEqual([dry.imported, dry.nodes.map((n) => n.name), await count(db, 'nodes')], [false, ['gw-1', 'gw-2'], 1]);

    const r = await importNodes(await ctx(), file('gw-1,/site-a,web=127.0.0.1:80,,site=paris', 'gw-2,/site-a/line-1,,on-demand;window=daily 08:00-09:00,'), OPTS);
    assert.equal(r.imported, true);
    assert.equal(r.nodes.length, 2);
    const [one, two] = r.nodes;
    assert.match(one?.token ?? '', /^bre_/);
    assert.equal(one?.enrollCommand, `burrow node enroll https://burrow.test:8443 --token ${one?.token ?? ''} --name gw-1`);
    const n1 = await getNode(db, one?.id ?? '');
    assert.deepEqual([n1?.status, n1?.groupId, n1?.services, n1?.serviceTargets, n1?.labels], ['pending', 'siteA', ['web'], { web: '127.0.0.1:80' }, { site: 'paris' }]);
    const n2 = await getNode(db, two?.id ?? '');
    assert.deepEqual([n2?.mode, n2?.groupId, JSON.parse(n2?.proposedMode ?? 'null')], ['on-demand', 'lineA', { mode: 'on-demand', schedule: { windows: ['daily 08:00-09:00'], timeZone: 'UTC', intervalMs: 1_800_000, durationMs: 300_000 } }]);
    const tokens = await db.all<{ node_id: string; max_uses: number; expires_at: number }>('SELECT node_id, max_uses, expires_at FROM enroll_tokens ORDER BY node_id');
    assert.deepEqual(tokens.map((t) => [t.node_id, t.max_uses, Number(t.expires_at)]).sort(), [[one?.id, 1, T + 86_400_000], [two?.id, 1, T + 86_400_000]].sort());
    const audit = await db.all<{ action: string; group_id: string | null; detail: string }>('SELECT action, group_id, detail FROM audit_log ORDER BY seq');
    assert.deepEqual(audit.map((a) => a.action), ['node.preregister', 'node.preregister', 'node.import']);
    assert.deepEqual([audit[2]?.group_id, JSON.parse(audit[2]?.detail ?? '{}')], ['siteA', { lines: 2, created: 2, skipped: 0, badLines: [] }]);
  });

  it('with skip-bad, creates the good lines and reports the bad ones', async () => {
    const r = await importNodes(await ctx(), file('gw-1,/site-a,,,', 'gw-2,/nowhere,,,'), { ...OPTS, skipBad: true });
    assert.deepEqual([r.imported, r.nodes.map((n) => n.name), r.errors.map((e) => e.line)], [true, ['gw-1'], [3]]);
    assert.deepEqual((await listNodes(db)).map((n) => n.name).sort(), ['gw-1', 'taken']);
  });

  it('writes all of a file or nothing: a failure midway leaves no node, token or audit entry', async () => {
    const before = { nodes: await count(db, 'nodes'), tokens: await count(db, 'enroll_tokens'), audit: await count(db, 'audit_log') };
    const c = { ...(await ctx()), db: failingOnSecondNode(db) };
    await assert.rejects(importNodes(c, file('gw-1,/site-a,,,', 'gw-2,/site-a,,,', 'gw-3,/site-a,,,'), OPTS), /disk unplugged/);
    assert.deepEqual({ nodes: await count(db, 'nodes'), tokens: await count(db, 'enroll_tokens'), audit: await count(db, 'audit_log') }, before);
  });

  it("enrolls an agent as its own pre-registered node only: approved, with the node's services, once", async () => {
    const r = await importNodes(await ctx(), file('gw-1,/site-a,web=127.0.0.1:80;ssh=tcp://127.0.0.1:22,,', 'gw-2,/site-a,,,'), OPTS);
    const [one, two] = r.nodes;
    const enroll = (token: string, name: string) =>
      enrollNode({ db, clock, sshHostKeyPub: 'ssh-ed25519 HOST', tunnelUrl: 'wss://burrow.test/v1/tunnel' }, { token, name, publicKey: generateEd25519().public, services: ['webui'] }, '192.0.2.9');
    const invalid = (err: unknown) => err instanceof BurrowError && err.code === 'ENROLL_TOKEN_INVALID';
    // The token of gw-1 cannot make an agent gw-2.
    await assert.rejects(enroll(one?.token ?? '', 'gw-2'), (err) => invalid(err) && /belongs to node gw-1/.test((err as Error).message));
    const done = await enroll(one?.token ?? '', 'gw-1');
    assert.deepEqual([done.nodeId, done.status, done.services], [one?.id, 'approved', { web: '127.0.0.1:80', ssh: 'tcp://127.0.0.1:22' }]);
    const node = await getNode(db, one?.id ?? '');
    assert.deepEqual([node?.status, node?.publicKey.startsWith('ssh-ed25519 ')], ['approved', true]);
    await assert.rejects(enroll(one?.token ?? '', 'gw-1'), invalid, 'single use');
    // A deleted pre-registered node's token enrolls nothing; an expired one neither.
    await markNodeDeleted(db, two?.id ?? '', T);
    await assert.rejects(enroll(two?.token ?? '', 'gw-2'), invalid);
    const late = await importNodes(await ctx(), file('gw-3,/site-a,,,'), OPTS);
    clock.advance(86_400_000);
    await assert.rejects(enroll(late.nodes[0]?.token ?? '', 'gw-3'), (err) => invalid(err) && /expired/.test((err as Error).message));
  });
});
