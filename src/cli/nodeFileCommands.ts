import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatByteSize, parseByteSize } from '../shared/byteSize.js';
import { absolutePathSchema, type NodeConfig } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';
import { loadNodeConfig, saveNodeConfig } from '../node/nodeHome.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';

type Opts = { home?: string };

const offered = (f: NodeConfig['files']) => f.allow.length > 0 || f.bundleLogs.length > 0;

/** An absolute form of `path`, checked like node.json checks it. */
function absolute(path: string): string {
  const full = resolve(path);
  if (!absolutePathSchema.safeParse(full).success) throw new BurrowError('VALIDATION', `"${path}" is not a usable path.`);
  return full;
}

/** Saves the new file settings and says when they apply: at once, or (service newly offered or withdrawn) at the agent's restart. */
async function save(home: string, config: NodeConfig, files: NodeConfig['files'], done: string): Promise<void> {
  const before = offered(config.files);
  await saveNodeConfig(home, { ...config, files });
  const restart = before !== offered(files);
  process.stdout.write(`${done} ${restart ? 'Restart the agent ("burrow node run") for it to take effect.' : 'It applies to the next pull.'}\n`);
}

/** `burrow node files …`: what the server may pull from this node, decided by its operator. */
export function registerNodeFileCommands(node: Command): void {
  const files = node.command('files').description('allow or revoke pulling files and support bundles from this node');

  files
    .command('allow <dir>')
    .description('let the server pull files under this directory (symlinks leading outside it are refused)')
    .option('--max-size <size>', 'the largest file one pull may take, e.g. 200M or 2G (for every directory)')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (dir: string, o: Opts & { maxSize?: string }) => {
      const home = resolveHome(o.home, process.env);
      const full = absolute(dir);
      const st = await stat(full).catch(() => undefined);
      if (!st?.isDirectory()) throw new BurrowError('VALIDATION', `${full} is not a directory on this machine.`);
      const config = await loadNodeConfig(home);
      const maxBytes = o.maxSize === undefined ? config.files.maxBytes : parseByteSize(o.maxSize);
      const allow = config.files.allow.includes(full) ? config.files.allow : [...config.files.allow, full];
      await save(home, config, { ...config.files, allow, maxBytes }, `The server may pull files under ${full} (up to ${formatByteSize(maxBytes)} each).`);
    });

  files
    .command('revoke <dir>')
    .description('stop allowing pulls under a directory')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (dir: string, o: Opts) => {
      const home = resolveHome(o.home, process.env);
      const full = absolute(dir);
      const config = await loadNodeConfig(home);
      if (!config.files.allow.includes(full)) throw new BurrowError('VALIDATION', `${full} is not allowed now; "burrow node files show" lists what is.`);
      await save(home, config, { ...config.files, allow: config.files.allow.filter((d) => d !== full) }, `Pulls under ${full} are no longer allowed.`);
    });

  files
    .command('logs [files...]')
    .description('set the log files a support bundle carries (the last 16 MiB of each); --clear for none')
    .option('--clear', 'carry no log files')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (list: string[], o: Opts & { clear?: boolean }) => {
      if (!o.clear && list.length === 0) throw new BurrowError('VALIDATION', 'Name the log files a support bundle carries, or give --clear.');
      const home = resolveHome(o.home, process.env);
      const config = await loadNodeConfig(home);
      const bundleLogs = o.clear ? [] : [...new Set(list.map(absolute))];
      await save(home, config, { ...config.files, bundleLogs }, bundleLogs.length ? `Support bundles carry ${bundleLogs.join(', ')}.` : 'Support bundles carry no log files.');
    });

  files
    .command('show')
    .description('what the server may pull from this node')
    .option('--json', 'print JSON')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (o: Opts & { json?: boolean }) => {
      const f = (await loadNodeConfig(resolveHome(o.home, process.env))).files;
      if (o.json) return printJson(f);
      process.stdout.write(
        [
          `Allowed directories: ${f.allow.length ? f.allow.join(', ') : '(none: file pull is off)'}`,
          `Largest file per pull: ${formatByteSize(f.maxBytes)}`,
          `Logs in support bundles: ${f.bundleLogs.length ? f.bundleLogs.join(', ') : '(none)'}`,
          '',
        ].join('\n'),
      );
    });
}
