import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { parseDuration } from '../shared/duration.js';
import type { ConnectModeSpec, NodeStatusView } from '../shared/protocol.js';
import { AdminClient } from './adminClient.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';

interface Opts {
  home?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const client = (o: Opts) => AdminClient.open(resolveHome(o.home, process.env));

/** `burrow admin node status|propose-mode NODE`: health reports and server-proposed modes. */
export function registerAdminNodeStatusCommands(node: Command): void {
  node
    .command('status <node>')
    .description("show a node's liveness, next check-in and latest health report")
    .option('--limit <n>', 'how many past reports to include', '10')
    .option('--json', 'print JSON')
    .option('--home <dir>', 'directory holding the CLI login (env BURROW_HOME)')
    .action(async (id: string, o: Opts & { limit: string }) => {
      const r = await (await client(o)).call<NodeStatusView>('GET', `/v1/nodes/${encodeURIComponent(id)}/status?limit=${encodeURIComponent(o.limit)}`);
      if (o.json) {
        printJson(r);
        return;
      }
      const l = r.latest;
      const lines: [string, string][] = [
        ['online', String(r.online)],
        ['lastSeen', r.lastSeen ?? '-'],
        ['nextCheckIn', r.nextCheckIn ?? '-'],
        ['mode', r.mode + (r.proposedMode ? ` (proposed: ${r.proposedMode.mode})` : '')],
      ];
      if (l) {
        lines.push(['reportedAt', l.at], ['agentVersion', l.agentVersion], ['uptime', `${l.uptimeSeconds}s`], ['load', l.load.map((x) => x.toFixed(2)).join(' ')]);
        lines.push(['memoryFree', `${Math.round(l.memory.freeBytes / 2 ** 20)} MiB of ${Math.round(l.memory.totalBytes / 2 ** 20)} MiB`]);
        if (l.disk) lines.push(['diskFree', `${Math.round(l.disk.freeBytes / 2 ** 30)} GiB of ${Math.round(l.disk.totalBytes / 2 ** 30)} GiB`]);
        for (const [name, s] of Object.entries(l.services)) lines.push([`service ${name}`, s.reachable ? 'reachable' : `unreachable (${s.error ?? '?'})`]);
      }
      for (const [k, v] of lines) process.stdout.write(`${k.padEnd(16)} ${v}\n`);
    });

  node
    .command('propose-mode <node> <mode>')
    .description('propose always-on or on-demand to a node; it applies it at its next connection unless its operator locked the mode')
    .option('--window <spec>', 'for on-demand: DAYS START-END, e.g. "Mon-Fri 09:00-18:00" (repeatable)', collect, [] as string[])
    .option('--tz <zone>', 'IANA time zone of the windows', 'UTC')
    .option('--interval <duration>', 'time between check-ins', '30m')
    .option('--duration <duration>', 'how long each check-in lasts', '5m')
    .option('--withdraw', 'withdraw the current proposal (give any mode)')
    .option('--json', 'print JSON')
    .option('--home <dir>', 'directory holding the CLI login (env BURROW_HOME)')
    .action(async (id: string, mode: string, o: Opts & { window: string[]; tz: string; interval: string; duration: string; withdraw?: boolean }) => {
      let body: ConnectModeSpec | { mode: null };
      if (o.withdraw) body = { mode: null };
      else if (mode === 'always-on') body = { mode };
      else if (mode === 'on-demand') {
        if (!o.window.length) throw new BurrowError('VALIDATION', 'An on-demand proposal needs at least one --window.');
        body = { mode, schedule: { windows: o.window, timeZone: o.tz, intervalMs: parseDuration(o.interval), durationMs: parseDuration(o.duration) } };
      } else throw new BurrowError('VALIDATION', `"${mode}" is not a mode; use always-on or on-demand.`);
      const r = await (await client(o)).call<{ nodeId: string; proposedMode: ConnectModeSpec | null }>('PUT', `/v1/nodes/${encodeURIComponent(id)}/mode`, body);
      if (o.json) printJson(r);
      else process.stdout.write(r.proposedMode ? `Proposed ${r.proposedMode.mode} to ${r.nodeId}; it applies at its next connection unless locked.\n` : `Withdrew the proposal to ${r.nodeId}.\n`);
    });
}
