import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import type { NodeImportReport } from '../shared/fleetImport.js';
import { writeFileAtomic } from '../shared/secureFiles.js';
import { printJson } from './cliOutput.js';
import { client, homeOption, withCommon, type HomeOpt } from './adminShared.js';
import { readInputFile } from './inputFiles.js';

const COLUMNS_HELP = `
The file is CSV with a header row naming these columns (any order):
  name      the node's name: letters, digits and . _ @ -, unique in the file and new in its group
  group     the group's path from the root: /site-a/line-1 (/ is the root); you must be its admin
  services  name=target pairs separated by ;  e.g. web=http://127.0.0.1:80;ssh=tcp://127.0.0.1:22
            (target: host:port, http(s)://host:port or tcp://host:port; empty: none)
  mode      always-on (or empty), or on-demand;window=Mon-Fri 09:00-18:00;tz=Europe/Paris;interval=30m;duration=5m
            (window repeatable and required; tz defaults to UTC, interval to 30m, duration to 5m)
  labels    key=value pairs separated by ;  e.g. site=paris;tier=prod
The columns id, status, online and last_seen that "burrow admin nodes export" adds are ignored.
Names that already exist in their group are refused: change existing nodes with "burrow admin node".
Each node gets its own single-use enrollment token; its agent that enrolls with it becomes that
node, approved, with its services. Every bad line is reported with its line number; nothing is
imported when any line is bad, unless --skip-bad.
`;

const problemLines = (r: NodeImportReport) => r.errors.map((e) => `line ${e.line}: ${e.message}`).join('\n');

/** `burrow admin nodes import|export`: bulk registration from a CSV file, and the fleet as one. */
export function registerAdminFleetCommands(nodes: Command): void {
  withCommon(
    nodes
      .command('import <file>')
      .description('pre-register nodes from a CSV file (name, group, services, mode, labels), each with its own enrollment token')
      .option('--dry-run', 'check the file and report every bad line; create nothing')
      .option('--skip-bad', 'create the good lines even when some are bad (those are reported and skipped)')
      .option('--out <file>', 'write name, token and enroll command of each created node to this CSV file (mode 0600) for the installers')
      .option('--ttl <duration>', 'how long the enrollment tokens stay valid (at most 30d)', '7d')
      .addHelpText('after', COLUMNS_HELP),
  ).action(async (file: string, opts: HomeOpt & { dryRun?: boolean; skipBad?: boolean; out?: string; ttl: string }, cmd: Command) => {
    // `admin nodes` lists with --json itself, and a parent's options are read anywhere on the line.
    const o = { ...opts, json: opts.json === true || cmd.optsWithGlobals<HomeOpt>().json === true };
    const csv = (await readInputFile(file, 'the node file')).toString('utf8');
    const r = await (await client(o)).call<NodeImportReport>('POST', '/v1/fleet/import', { csv, dryRun: o.dryRun === true, skipBad: o.skipBad === true, ttl: o.ttl });
    if (r.imported && o.out) {
      const { stringify } = await import('csv-stringify/sync');
      const rows = r.nodes.map((n) => [n.name, n.token ?? '', n.enrollCommand ?? '']);
      await writeFileAtomic(o.out, stringify([['name', 'token', 'enroll_command'], ...rows]), 0o600);
    }
    if (o.json) printJson(r);
    else if (r.dryRun) {
      process.stdout.write(`${r.nodes.length} of ${r.total} lines can be imported${r.errors.length ? `; ${r.errors.length} are bad` : ''}. Nothing was created (dry run).\n`);
    } else {
      if (r.errors.length > 0) process.stderr.write(`Skipped ${r.errors.length} bad lines:\n${problemLines(r)}\n`);
      process.stdout.write(`Created ${r.nodes.length} nodes${r.nodes.length ? `; their tokens expire at ${r.nodes[0]?.expiresAt ?? ''}` : ''}.\n`);
      for (const n of r.nodes) process.stdout.write(`${n.name}: ${n.enrollCommand ?? ''}\n`);
      process.stdout.write(o.out ? `Tokens written to ${o.out} (shown once; keep it safe).\n` : 'These tokens are shown once; use --out FILE to keep them as CSV for the installers.\n');
    }
    if (r.dryRun && r.errors.length > 0) throw new BurrowError('IMPORT_INVALID', `The file has ${r.errors.length} bad lines:\n${problemLines(r)}`);
  });

  nodes
    .command('export')
    .description('write the fleet (the nodes you can see) as CSV in the columns import reads, plus id, status, online and last_seen')
    .option('--group <path>', 'only nodes of this group and below, e.g. /site-a')
    .option('--out <file>', 'write to this file instead of standard output')
    .option(...homeOption)
    .action(async (o: HomeOpt & { group?: string; out?: string }) => {
    const query = o.group === undefined ? '' : `?group=${encodeURIComponent(o.group)}`;
    const text = await (await client(o)).text(`/v1/fleet/export${query}`);
    if (o.out) {
      await writeFileAtomic(o.out, text, 0o644);
      process.stderr.write(`Wrote ${Math.max(0, text.trim().split('\n').length - 1)} nodes to ${o.out}.\n`);
    } else process.stdout.write(text);
    });
}
