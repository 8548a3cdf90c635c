import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { entryHash } from '../src/server/audit/auditChain.js';
import { chainEntryOf, type AuditRow } from '../src/server/store/auditStore.js';
import { runBurrow, type CliResult } from './harness/burrowCli.js';
import { ServerStack } from './harness/serverStack.js';
import { makeTempDir } from './harness/tempDir.js';
import { waitFor } from './harness/waitFor.js';

const sh = promisify(execFile);

/** A server with a signed-in admin, writing audit checkpoints every second. */
class AuditStack extends ServerStack {
  static async start(): Promise<AuditStack> {
    const tmp = await makeTempDir();
    const s = new AuditStack(tmp.path, tmp.remove);
    return s.startOrClose(async () => {
      await s.initServer({ serverConfig: { auditCheckpointIntervalMs: 1_000 } });
      await s.startServer();
      await s.login();
      // A few entries to tamper with.
      for (let i = 0; i < 4; i++) await s.admin(['enroll-token', 'create', '--uses', '1']);
    });
  }

  get database(): string {
    return join(this.serverHome, 'burrow.db');
  }

  /** Runs SQL on the database file as an insider would, with the sqlite3 shell. */
  async sql(statements: string): Promise<string> {
    const { stdout } = await sh('sqlite3', ['-cmd', '.timeout 5000', '-json', this.database, statements]);
    return stdout;
  }

  async rows(): Promise<AuditRow[]> {
    return JSON.parse((await this.sql('SELECT * FROM audit_log ORDER BY seq')) || '[]') as AuditRow[];
  }

  /** Waits until a signed checkpoint in the home covers the newest entry; returns its sequence. */
  async checkpointed(): Promise<number> {
    const head = (await this.rows()).at(-1)?.seq ?? 0;
    return waitFor(`a checkpoint covering entry ${head}`, async () => {
      const text = await readFile(join(this.serverHome, 'audit-checkpoints.jsonl'), 'utf8').catch(() => '');
      const seqs = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);
      return seqs.some((s) => s >= head) ? head : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
  }

  verify(extra: string[] = []): Promise<CliResult> {
    return runBurrow(['admin', 'audit', 'verify', '--home', this.adminHome, ...extra]);
  }
}

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  const text = r.stderr.trim();
  assert.equal(text.split('\n').length, 1, `one line expected: ${text}`);
  assert.match(text, pattern);
}

/** The rows from `seq` on with `edit` applied to that one and every later hash recomputed, as an insider with the source code would. */
function recompute<T extends { seq: number; prevHash: string; hash: string; mac: string | null }>(rows: T[], seq: number, edit: (r: T) => T): T[] {
  let prev = '';
  return rows.map((r) => {
    if (r.seq < seq) {
      prev = r.hash;
      return r;
    }
    const changed = r.seq === seq ? edit(r) : r;
    const hash = entryHash(prev, { ...chainEntryOf(toRow(changed)) }, r.mac !== null);
    const out = { ...changed, prevHash: prev, hash };
    prev = hash;
    return out;
  });
}

/** The stored row shape of a chain entry (only the fields entryHash reads matter). */
function toRow(e: { seq: number; prevHash: string; hash: string; mac: string | null }): AuditRow {
  const c = e as unknown as { at: number | string; actor: string; actorEmail: string | null; sourceIp: string | null; action: string; objectType: string | null; target: string | null; result: string; detail: string | object; group?: string | null; groupId?: string | null };
  return {
    seq: e.seq, at: typeof c.at === 'string' ? Date.parse(c.at) : c.at, actor: c.actor, actor_email: c.actorEmail, source_ip: c.sourceIp, action: c.action, object_type: c.objectType, target: c.target, result: c.result,
    detail: typeof c.detail === 'string' ? c.detail : JSON.stringify(c.detail), group_id: c.groupId ?? c.group ?? null, prev_hash: e.prevHash, hash: e.hash, mac: e.mac,
  };
}

// Issue 19 item 4: an insider with the database file (triggers dropped) rewrites or deletes
// audit entries; `audit verify` must say which, and where.
describe('audit log anchoring', () => {
  let s: AuditStack;
  before(async () => {
    s = await AuditStack.start();
  });
  after(async () => {
    await s?.close();
  });

  it('verifies an export offline, and names an edited, recomputed or cut export', async () => {
    const head = await s.checkpointed();
    const file = join(s.dir, 'export.jsonl');
    await s.admin(['audit', 'export', '--output', file]);
    // No server and no admin home: only the file.
    const offline = await runBurrow(['admin', 'audit', 'verify', '--file', file, '--home', join(s.dir, 'nowhere')]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /Export intact/);
    assert.match(offline.stdout, /SHA256:/);

    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const entries = lines.filter((l) => l.type === 'entry') as unknown as { seq: number; prevHash: string; hash: string; mac: string | null; detail: object }[];
    const victim = entries[Math.floor(entries.length / 2)]?.seq as number;
    const write = async (name: string, ls: unknown[]) => {
      const p = join(s.dir, name);
      await writeFile(p, ls.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return runBurrow(['admin', 'audit', 'verify', '--file', p]);
    };
    const forged = <T extends { detail: object }>(e: T): T => ({ ...e, detail: { forged: true } });

    const edited = lines.map((l) => (l.type === 'entry' && l.seq === victim ? forged(l as { detail: object }) : l));
    assertFails(await write('edited.jsonl', edited), new RegExp(`entry was altered|entry ${victim}\\b`));

    const recomputed = recompute(entries, victim, forged);
    const header = lines[0];
    const checkpoints = lines.filter((l) => l.type === 'checkpoint');
    assertFails(await write('recomputed.jsonl', [header, ...recomputed, ...checkpoints]), /chain was recomputed/);

    const cut = entries.filter((e) => e.seq < head - 1);
    assertFails(await write('cut.jsonl', [header, ...cut, ...checkpoints]), /truncated/);
  });

  it('names a chain rewritten and recomputed in the database, at the rewritten entry', async () => {
    const ok = await s.verify();
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /intact/);
    const rows = await s.rows();
    const victim = rows[Math.floor(rows.length / 2)]?.seq as number;
    const entries = rows.map((r) => ({ ...chainEntryOf(r) }));
    const rewritten = recompute(entries, victim, (e) => ({ ...e, result: 'denied', detail: '{"forged":true}' }));
    const updates = rewritten
      .filter((e) => e.seq >= victim)
      .map((e) => `UPDATE audit_log SET result = '${e.result}', detail = '${e.detail}', prev_hash = '${e.prevHash}', hash = '${e.hash}' WHERE seq = ${e.seq};`)
      .join('\n');
    await s.sql(`DROP TRIGGER IF EXISTS audit_no_update; BEGIN; ${updates} COMMIT;`);
    assertFails(await s.verify(), new RegExp(`\\(the chain was recomputed\\) at entry ${victim}\\b`));
  });
});

describe('audit log truncation', () => {
  let s: AuditStack;
  before(async () => {
    s = await AuditStack.start();
  });
  after(async () => {
    await s?.close();
  });

  it('names the newest entries deleted from the database after a checkpoint', async () => {
    const head = await s.checkpointed();
    assert.equal((await s.verify()).code, 0);
    await s.sql(`DROP TRIGGER IF EXISTS audit_no_delete; DELETE FROM audit_log WHERE seq >= ${head - 1};`);
    assertFails(await s.verify(), new RegExp(`\\(the log was truncated\\) at entry ${head - 1}\\b`));
  });
});

describe('audit log of a server from before sealing', () => {
  let s: AuditStack;
  before(async () => {
    s = await AuditStack.start();
  });
  after(async () => {
    await s?.close();
  });

  it('keeps its old entries verifying and marks where sealing starts', async () => {
    if (s.server) await s.procs.stop(s.server);
    // Make the home look like one written by an older burrow: no MACs, the old hash form, no keys or checkpoints.
    let prev = '0'.repeat(64);
    const updates = (await s.rows()).map((r) => {
      const hash = entryHash(prev, chainEntryOf(r), false);
      const sql = `UPDATE audit_log SET mac = NULL, actor_email = NULL, object_type = NULL, prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${r.seq};`;
      prev = hash;
      return sql;
    });
    await s.sql(`DROP TRIGGER IF EXISTS audit_no_update; BEGIN; ${updates.join('\n')} COMMIT;`);
    for (const f of ['audit-mac.key', 'audit-signing.key', 'audit-signing.pub', 'audit-checkpoints.jsonl']) await rm(join(s.serverHome, f));
    const legacy = (await s.rows()).length;

    await s.startServer();
    assert.equal((await stat(join(s.serverHome, 'audit-mac.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(s.serverHome, 'audit-signing.key'))).mode & 0o777, 0o600);
    const mark = (await s.rows()).find((r) => r.action === 'audit.seal');
    assert.equal(mark?.seq, legacy + 1, 'the first sealed entry follows the old ones');
    const ok = await s.verify();
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`intact: \\d+ entries verified, MACs from entry ${legacy + 1} on`));
  });
});
