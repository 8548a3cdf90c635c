import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { BurrowError } from '../shared/errors.js';
import { parseDuration } from '../shared/duration.js';
import { approvalDecisionSchema, approvalRequestSchema } from '../shared/approvalProtocol.js';
import { loadNodeConfig, saveNodeConfig } from '../node/nodeHome.js';
import { askAgent, type ApprovalCommand } from '../node/approvals/approvalSocket.js';
import { readApprovalLog } from '../node/approvals/approvalJournal.js';
import { printJson, printTable } from './cliOutput.js';
import { resolveHome } from './homeDir.js';

const HOME = 'node state directory (env BURROW_HOME)';
const answerSchema = z.union([
  z.object({ waiting: z.array(approvalRequestSchema.extend({ since: z.string(), timeLeftMs: z.number() })) }),
  z.object({ decision: approvalDecisionSchema }),
  z.object({ error: z.string() }),
]);

/** Asks the running agent and turns its refusal into a CLI error. */
async function ask(home: string, cmd: ApprovalCommand): Promise<z.infer<typeof answerSchema>> {
  let raw: unknown;
  try {
    raw = await askAgent(home, cmd);
  } catch (err) {
    throw new BurrowError('CONFLICT', (err as Error).message);
  }
  const answer = answerSchema.parse(raw);
  if ('error' in answer) throw new BurrowError('NOT_FOUND', answer.error);
  return answer;
}

/** Who decides on site: the local account running the CLI (the socket admits only the agent's user). */
const localUser = (): string => userInfo().username;

const minutes = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 6_000) / 10}m` : `${Math.ceil(ms / 1000)}s`);

/** `burrow node approval …`, `node approvals`, `node approve`, `node deny`: customer approval on site. */
export function registerNodeApprovalCommands(node: Command): void {
  node
    .command('approval <on|off|show>')
    .description('require a person on site to approve every session, shell and job (on), or not (off)')
    .option('--timeout <duration>', 'with on: how long a request waits before it is denied as timed out (default 5m)')
    .option('--json', 'print the policy as JSON (show)')
    .option('--home <dir>', HOME)
    .action(async (state: string, o: { timeout?: string; json?: boolean; home?: string }) => {
      if (state !== 'on' && state !== 'off' && state !== 'show') throw new BurrowError('VALIDATION', `Say "on", "off" or "show", not "${state}".`);
      if (o.timeout !== undefined && state !== 'on') throw new BurrowError('VALIDATION', '--timeout goes with "on".');
      const home = resolveHome(o.home, process.env);
      const config = await loadNodeConfig(home);
      if (state !== 'show') {
        const timeoutMs = o.timeout === undefined ? config.approval.timeoutMs : parseDuration(o.timeout);
        if (timeoutMs < 1_000 || timeoutMs > 86_400_000) throw new BurrowError('VALIDATION', '--timeout is between 1s and 24h.');
        config.approval = { enabled: state === 'on', timeoutMs };
        await saveNodeConfig(home, config);
      }
      const p = config.approval;
      if (o.json) printJson(p);
      else process.stdout.write(p.enabled ? `Approval on site is on: sessions, shells and jobs wait up to ${minutes(p.timeoutMs)} for "burrow node approve".\n` : 'Approval on site is off.\n');
    });

  node
    .command('approvals')
    .description('list what waits for approval on site (who, what, since, time left), or the local log with --log')
    .option('--log', 'print the local log of every request and decision')
    .option('--json', 'print JSON')
    .option('--home <dir>', HOME)
    .action(async (o: { log?: boolean; json?: boolean; home?: string }) => {
      const home = resolveHome(o.home, process.env);
      if (o.log) {
        const entries = await readApprovalLog(home);
        if (o.json) printJson(entries);
        else printTable(entries.map((e) => ({ ...e })), ['at', 'event', 'id', 'kind', 'user', 'what', 'by', 'reason']);
        return;
      }
      const answer = await ask(home, { op: 'list' });
      const waiting = 'waiting' in answer ? answer.waiting : [];
      if (o.json) printJson(waiting);
      else printTable(waiting.map((w) => ({ ...w, left: minutes(w.timeLeftMs) })), ['id', 'kind', 'user', 'from', 'what', 'since', 'left']);
    });

  node
    .command('approve <id>')
    .description('approve a request that waits on this node')
    .option('--reason <text>', 'why (kept in both audit logs)', '')
    .option('--home <dir>', HOME)
    .action(async (id: string, o: { reason: string; home?: string }) => {
      const home = resolveHome(o.home, process.env);
      await ask(home, { op: 'decide', id, approve: true, by: localUser(), reason: o.reason });
      process.stdout.write(`Approved ${id}.\n`);
    });

  node
    .command('deny <id>')
    .description('deny a request that waits on this node; the requester sees the reason')
    .requiredOption('--reason <text>', 'why (shown to the requester, kept in both audit logs)')
    .option('--home <dir>', HOME)
    .action(async (id: string, o: { reason: string; home?: string }) => {
      if (o.reason.trim() === '') throw new BurrowError('VALIDATION', 'Give a reason with --reason.');
      const home = resolveHome(o.home, process.env);
      await ask(home, { op: 'decide', id, approve: false, by: localUser(), reason: o.reason });
      process.stdout.write(`Denied ${id}.\n`);
    });
}
