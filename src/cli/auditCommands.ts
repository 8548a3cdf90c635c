import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
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
      const named = o.json ? rows : rows.map((r) => ({ ...r, actor: r.actorName ?? r.actor }));
      show(o, named, ['seq', 'at', 'actor', 'action', 'target', 'result', 'sourceIp']);
    });
  filters(audit.command('export').description('export entries, oldest first, as CSV or JSON lines'), '10000')
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
    .description('check the hash chain of the audit log; fails at the first altered or missing entry')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (own: HomeOpt) => {
      // `audit` has --home and --json too; commander hands them to whichever comes first.
      const o = { ...(audit.opts() as HomeOpt), ...definedOnly(own) };
      const r = await (await client(o)).call<{ ok: boolean; entries: number; badSeq?: number; reason?: string }>('GET', '/v1/audit/verify');
      if (o.json) printJson(r);
      if (!r.ok) throw new BurrowError('CONFLICT', `The audit log fails verification at entry ${r.badSeq ?? '?'}: ${r.reason ?? ''}.`);
      if (!o.json) process.stdout.write(`Audit log intact: ${r.entries} entries verified.\n`);
    });
}
