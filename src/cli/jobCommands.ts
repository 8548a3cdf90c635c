import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { BurrowError } from '../shared/errors.js';
import { parseDuration } from '../shared/duration.js';
import type { SignedAction } from '../shared/jobManifest.js';
import { printJson } from './cliOutput.js';
import { readInputFile } from './inputFiles.js';
import { client, homeOption, show, type HomeOpt } from './adminShared.js';
import { shellJoin } from './sshCommand.js';
import { signJob } from './jobSigning.js';
import { announceSiteApproval } from './siteApproval.js';

interface TargetOpts extends HomeOpt {
  node?: string;
  group?: string;
  selector?: string;
  timeout: string;
  stopAfter?: string;
  expires: string;
  wait?: boolean;
  sign?: string;
}

interface JobView {
  id: string;
  kind: string;
  targets?: { nodeId: string; name: string | null; status: string; exitCode: number | null; stdout: string; stderr: string; error: string | null; approvalWaitingSince?: string | null }[];
}

function targeted(cmd: Command): Command {
  return cmd
    .option('--node <node>', 'run on this node')
    .option('--group <group>', 'run on every approved node of this group and its subgroups')
    .option('--selector <labels>', 'run on every approved node you may operate whose labels match, e.g. site=paris,tier!=test (with --group: within that group)')
    .option('--timeout <duration>', 'kill the job on a node after this long', '60s')
    .option('--stop-after <n>', 'cancel the rest of the rollout after N failed nodes')
    .option('--expires <duration>', 'give up on nodes that have not connected (or whose site has not approved) by then', '24h')
    .option('--wait', 'wait until every node is done; exit 1 if any failed')
    .option('--sign <keyfile>', 'sign a manifest of this job (action, nodes, expiry) with this ed25519 private key (PEM)')
    .option('--json', 'print JSON')
    .option(...homeOption);
}

async function submit(o: TargetOpts, what: Record<string, unknown>, action: SignedAction): Promise<void> {
  if (o.selector !== undefined) {
    if (o.node !== undefined) throw new BurrowError('VALIDATION', 'Give --selector alone or with --group, not with --node.');
    if (o.sign !== undefined) throw new BurrowError('VALIDATION', 'A signed job names its nodes: use --node or --group with --sign, not --selector.');
  } else if ((o.node === undefined) === (o.group === undefined)) throw new BurrowError('VALIDATION', 'Give exactly one of --node and --group (or --selector).');
  const api = await client(o);
  // The manifest expires with the job: a node never runs it after the queue would have given up.
  const signed = o.sign !== undefined ? await signJob(api, o, action, parseDuration(o.expires), o.sign) : undefined;
  const body = {
    ...(o.node ? { node: o.node } : o.group !== undefined ? { group: o.group } : {}),
    ...(o.selector !== undefined ? { selector: o.selector } : {}),
    ...what,
    ...(signed ? { signed } : {}),
    timeoutMs: parseDuration(o.timeout),
    expiresIn: o.expires,
    ...(o.stopAfter ? { stopAfterFailures: Number(o.stopAfter) } : {}),
  };
  const job = await api.call<JobView & { nodes: string[] }>('POST', '/v1/jobs', body);
  // The job waits on the node's site before it runs there; say so while --wait waits.
  if (o.wait && o.node !== undefined) await announceSiteApproval(api, o.node, `Job ${job.id}`);
  if (!o.wait) {
    if (o.json) printJson(job);
    else process.stdout.write(`Job ${job.id} queued for ${job.nodes.length} node(s).\n`);
    return;
  }
  for (;;) {
    const view = await api.call<JobView>('GET', `/v1/jobs/${job.id}`);
    const targets = view.targets ?? [];
    if (targets.every((t) => t.status !== 'pending' && t.status !== 'running')) {
      if (o.json) printJson(view);
      else printTargets(view);
      if (targets.some((t) => t.status !== 'ok')) process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Each line of `text` behind `prefix`, every one ended by a newline ('' for no text). */
export function prefixLines(text: string, prefix: string): string {
  if (text === '') return '';
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another.
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => `${prefix}${l}\n`).join('');
}

function printTargets(view: JobView): void {
  for (const t of view.targets ?? []) {
    // A claimed target the node's site has not approved yet is not running: say what it waits for.
    const state = t.status === 'running' && t.approvalWaitingSince ? `waiting for approval on site since ${t.approvalWaitingSince}` : t.status;
    process.stdout.write(`${t.name ?? t.nodeId}: ${state}${t.exitCode !== null ? ` (exit ${t.exitCode})` : ''}${t.error ? ` - ${t.error}` : ''}\n`);
    process.stdout.write(prefixLines(t.stdout, '  | '));
    process.stdout.write(prefixLines(t.stderr, '  ! '));
  }
}

/** `burrow admin job …` and `burrow admin recording …`. */
export function registerJobCommands(admin: Command): void {
  const job = admin.command('job').description('commands, file pushes and software updates on nodes');
  targeted(job.command('run').argument('<command...>', 'the command (after --)').description('run a command on a node or a group'))
    .action(async (command: string[], o: TargetOpts) => {
      const line = shellJoin(command);
      await submit(o, { command: line }, { kind: 'command', command: line, path: null, mode: null, sha256: null });
    });
  targeted(job.command('push <file>').description('write a file on a node or a group'))
    .requiredOption('--to <path>', 'absolute target path on the node')
    .option('--mode <octal>', 'file mode', '0644')
    .action(async (file: string, o: TargetOpts & { to: string; mode: string }) => {
      if (!/^[0-7]{3,4}$/.test(o.mode)) throw new BurrowError('VALIDATION', '--mode is an octal mode such as 0644.');
      const content = await readInputFile(file, 'the file');
      const mode = parseInt(o.mode, 8);
      const sha256 = createHash('sha256').update(content).digest('hex');
      await submit(o, { push: { path: o.to, mode, content: content.toString('base64') } }, { kind: 'push', command: null, path: o.to, mode, sha256 });
    });
  targeted(job.command('update <file>').description('send a software update: the node checks its SHA-256 (and signed manifest) before running the install command'))
    .requiredOption('--install <command>', 'the install command; the file is in $BURROW_UPDATE_FILE')
    .option('--sha256 <hex>', "the file's published SHA-256 (default: computed from the file here)")
    .action(async (file: string, o: TargetOpts & { install: string; sha256?: string }) => {
      const content = await readInputFile(file, 'the update');
      const sha256 = (o.sha256 ?? createHash('sha256').update(content).digest('hex')).toLowerCase();
      const fileName = basename(file);
      await submit(o, { update: { fileName, content: content.toString('base64'), sha256, install: o.install } }, { kind: 'update', command: o.install, path: fileName, mode: null, sha256 });
    });
  job
    .command('list')
    .description('list jobs')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt) => show(o, await (await client(o)).call<object[]>('GET', '/v1/jobs'), ['id', 'kind', 'command', 'path', 'group', 'createdAt']));
  job
    .command('show <id>')
    .description("show a job and each node's status, exit code and output")
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      const view = await (await client(o)).call<JobView>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
      if (o.json) printJson(view);
      else printTargets(view);
    });

  job
    .command('cancel <id>')
    .description('stop a job reaching the nodes it has not reached yet (commands already running finish)')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      const view = await (await client(o)).call<{ id: string; cancelled: number }>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
      if (o.json) printJson(view);
      else process.stdout.write(`Cancelled job ${view.id} on ${view.cancelled} node${view.cancelled === 1 ? '' : 's'} it had not reached yet.\n`);
    });
  const recording = admin.command('recording').description('terminal session transcripts (asciinema v2)');
  recording
    .command('list')
    .description('list terminal recordings, newest first')
    .option('--node <node>', 'only recordings of this node (name or id)')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt & { node?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.node ? { node: o.node } : {}) });
      show(o, await (await client(o)).call<object[]>('GET', `/v1/recordings?${q.toString()}`), ['id', 'node', 'user', 'startedAt', 'endedAt', 'bytes']);
    });
  recording
    .command('get <id>')
    .description('print a recording (its id is in "recording list" and in the shell.open audit entry)')
    .option('--play', 'replay its output on this terminal, with its timing (pauses capped at 1 s)')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt & { play?: boolean }) => {
      const cast = await (await client(o)).text(`/v1/recordings/${encodeURIComponent(id)}`);
      if (!o.play) {
        process.stdout.write(cast);
        return;
      }
      let last = 0;
      for (const line of cast.split('\n').slice(1)) {
        if (!line.trim()) continue;
        const [t, type, data] = JSON.parse(line) as [number, string, string];
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, (t - last) * 1000))));
        last = t;
        if (type === 'o') process.stdout.write(data);
      }
    });
}
