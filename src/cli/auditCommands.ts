import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import type { AuditFinding, AuditVerdict } from '../server/audit/auditVerify.js';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { client, homeOption, show, type HomeOpt } from './adminShared.js';

interface FilterOpts extends HomeOpt {
  action?: string;
  actor?: string;
  node?: string;
  since?: string;
  until?: string;
  limit: string;
}

function query(o: FilterOpts): string {
  const q = new URLSearchParams({ limit: o.limit });
  for (const key of ['action', 'actor', 'node', 'since', 'until'] as const) {
    const v = o[key];
    if (v) q.set(key, v);
  }
  return q.toString();
}

/** Options the user did give (commander leaves the rest undefined). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function filters(cmd: Command, limit: string): Command {
  return cmd
    .option('--action <prefix>', 'only actions starting with this, e.g. session.')
    .option('--actor <id>', 'only this actor (user or node id)')
    .option('--node <id>', 'only entries about this node')
    .option('--since <time>', 'from this time on (ISO 8601)')
    .option('--until <time>', 'before this time (ISO 8601)')
    .option('--limit <n>', 'at most this many entries', limit)
    .option(...homeOption);
}

/** `burrow admin audit …`: read, export and verify the audit log. */
export function registerAuditCommands(admin: Command): void {
  const audit = filters(admin.command('audit').description('read the audit log, newest first'), '50')
    .option('--json', 'print JSON')
    .action(async (o: FilterOpts) => {
      const rows = await (await client(o)).call<Record<string, unknown>[]>('GET', `/v1/audit?${query(o)}`);
      // A table names the actor (a user's email, a node's name); --json keeps both id and name.
      const named = o.json ? rows : rows.map((r) => ({ ...r, actor: r.actorName ?? r.actorEmail ?? r.actor }));
      show(o, named, ['seq', 'at', 'actor', 'action', 'objectType', 'target', 'result', 'sourceIp']);
    });
  filters(audit.command('export').description('export entries, oldest first, as CSV or JSON lines (JSON lines also carry the signed checkpoints and the public key, for verify --file)'), '10000')
    .option('--format <format>', 'csv or jsonl', 'jsonl')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (own: FilterOpts & { format: string; output?: string }) => {
      const o = { ...(audit.opts() as FilterOpts), ...definedOnly(own) };
      if (o.format !== 'csv' && o.format !== 'jsonl') throw new BurrowError('VALIDATION', '--format is csv or jsonl.');
      const c = await client(o);
      const text = await c.text(`/v1/audit/export?${query(o)}&format=${o.format}`);
      if (o.output) await writeFile(o.output, text, { mode: 0o600 });
      else process.stdout.write(text);
    });
  audit
    .command('verify')
    .description('check the audit log: hash chain, MACs and signed checkpoints; names the first altered, missing, recomputed or truncated entry')
    .option('--file <export.jsonl>', 'verify an export offline instead (no server needed)')
    .option('--public-key <file>', 'with --file: the signing public key (PEM) you trust, instead of the one the export names')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (own: HomeOpt & { file?: string; publicKey?: string }) => {
      // `audit` has --home and --json too; commander hands them to whichever comes first.
      const o = { ...(audit.opts() as HomeOpt), ...definedOnly(own) };
      if (own.file) return verifyFile(own.file, own.publicKey, o.json === true);
      if (own.publicKey) throw new BurrowError('VALIDATION', '--public-key goes with --file.');
      const r = await (await client(o)).call<AuditVerdict>('GET', '/v1/audit/verify');
      if (o.json) printJson(r);
      if (!r.ok) throw verdictError('The audit log', r);
      if (!o.json) process.stdout.write(`Audit log intact: ${r.entries} entries verified${r.sealedFrom === null ? '' : `, MACs from entry ${r.sealedFrom} on`}; ${anchorSentence(r)}\n`);
    });
}

const FINDING: Record<AuditFinding, string> = {
  altered: 'an entry was altered',
  missing: 'an entry is missing',
  recomputed: 'the chain was recomputed',
  truncated: 'the log was truncated',
  'bad-checkpoint': 'a checkpoint is forged',
};

function verdictError(what: string, r: Extract<AuditVerdict, { ok: false }>): BurrowError {
  return new BurrowError('CONFLICT', `${what} fails verification (${FINDING[r.finding]}) at entry ${r.badSeq}: ${r.reason}.`);
}

function anchorSentence(r: Extract<AuditVerdict, { ok: true }>): string {
  if (!r.lastCheckpoint) return 'no signed checkpoint covers it yet.';
  return `${r.checkpoints} signed checkpoint${r.checkpoints === 1 ? '' : 's'}, the newest covering entries up to ${r.lastCheckpoint.seq} (${r.lastCheckpoint.at}).`;
}

/** Verifies an export offline: what it proves without the server's MAC key is said in the output. */
async function verifyFile(file: string, publicKeyFile: string | undefined, json: boolean): Promise<void> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new BurrowError('VALIDATION', `Cannot read ${file}: ${err.code ?? err.message}.`);
  });
  const trusted = publicKeyFile === undefined ? undefined : await readFile(publicKeyFile, 'utf8');
  // Server code, imported only when an export is verified.
  const { verifyExport } = await import('../server/audit/auditExport.js');
  const { verdict, keyFingerprint } = verifyExport(text, trusted);
  if (json) printJson({ ...verdict, keyFingerprint });
  if (!verdict.ok) throw verdictError('The export', verdict);
  if (!json) {
    process.stdout.write(`Export intact: ${verdict.entries} entries chained; ${anchorSentence(verdict)}\n`);
    process.stdout.write(`Checkpoints signed by ${keyFingerprint}${trusted === undefined ? ' (the key the export names: compare it with a copy you trust)' : ''}. MACs are not checked offline.\n`);
  }
}
