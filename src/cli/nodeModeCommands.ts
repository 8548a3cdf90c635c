import type { Command } from 'commander';
import { parseDuration } from '../shared/duration.js';
import { setNodeMode } from '../node/nodeMode.js';
import { printJson } from './cliOutput.js';
import { nodeHomeOf, nodeHomeOption, type NodeOpts } from './nodeShared.js';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ModeOpts extends NodeOpts {
  lock?: boolean;
}

/** The --lock/--unlock pair: undefined leaves the lock as it was. */
const lockOf = (o: ModeOpts): boolean | undefined => o.lock;

/** The options both modes take: the lock, --home and --json. */
function modeOptions(cmd: Command): Command {
  return cmd
    .option('--lock', 'ignore modes proposed by the server')
    .option('--no-lock', 'apply modes proposed by the server again')
    .option(...nodeHomeOption)
    .option('--json', 'print JSON');
}

/** `burrow node mode always-on|on-demand`: how this node connects. */
export function registerNodeModeCommands(node: Command): void {
  const mode = node.command('mode').description('choose how this node connects: always-on, or on-demand in scheduled windows');

  modeOptions(mode.command('always-on').description('keep the tunnel up all the time'))
    .action(async (o: ModeOpts) => {
      const c = await setNodeMode(nodeHomeOf(o), { mode: 'always-on' }, lockOf(o));
      if (o.json) printJson({ mode: c.mode, modeLocked: c.modeLocked });
      else process.stdout.write(`Mode: always-on${c.modeLocked ? ' (locked)' : ''}. A running agent applies it within a second.\n`);
    });

  modeOptions(
    mode
      .command('on-demand')
      .description('connect only inside windows, every interval, for duration (longer while the server holds work)')
      .requiredOption('--window <spec>', 'DAYS START-END, e.g. "Mon-Fri 09:00-18:00" or "Sat 22:00-02:00" (repeatable)', collect, [] as string[])
      .option('--tz <zone>', "IANA time zone of the windows (default: this machine's zone)")
      .option('--interval <duration>', 'time between check-ins inside a window', '30m')
      .option('--duration <duration>', 'how long each check-in stays connected', '5m'),
  )
    .action(async (o: ModeOpts & { window: string[]; tz?: string; interval: string; duration: string }) => {
      // Asked here, not as the option's default: the first Intl call maps ~8 MiB of ICU data,
      // and registering the option runs in every burrow process, the long-lived agent too.
      const tz = o.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
      const schedule = { windows: o.window, timeZone: tz, intervalMs: parseDuration(o.interval), durationMs: parseDuration(o.duration) };
      const c = await setNodeMode(nodeHomeOf(o), { mode: 'on-demand', schedule }, lockOf(o));
      if (o.json) printJson({ mode: c.mode, schedule: c.schedule, modeLocked: c.modeLocked });
      else process.stdout.write(`Mode: on-demand, ${o.window.join(', ')} (${tz}), every ${o.interval} for ${o.duration}${c.modeLocked ? ' (locked)' : ''}. A running agent applies it within a second.\n`);
    });
}
