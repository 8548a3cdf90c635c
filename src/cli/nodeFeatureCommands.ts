import type { Command } from 'commander';
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { localUserName } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';
import { loadNodeConfig, saveNodeConfig } from '../node/nodeHome.js';
import { resolveHome } from './homeDir.js';

const onOff = (v: string): boolean => {
  if (v !== 'on' && v !== 'off') throw new BurrowError('VALIDATION', `Say "on" or "off", not "${v}".`);
  return v === 'on';
};
const RESTART = 'Restart the agent ("burrow node run") for it to take effect.';

/** `burrow node shell …` and `burrow node jobs …`: what the node operator allows the server to do. */
export function registerNodeFeatureCommands(node: Command): void {
  node
    .command('shell <on|off>')
    .description('allow or refuse the remote shell on this node, optionally pinned to one local user')
    .option('--user <name>', 'run every shell as this local user')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (state: string, o: { user?: string; home?: string }) => {
      const enabled = onOff(state);
      if (o.user !== undefined && !localUserName.safeParse(o.user).success) throw new BurrowError('VALIDATION', `"${o.user}" is not a user name.`);
      const home = resolveHome(o.home, process.env);
      const config = await loadNodeConfig(home);
      config.shell = { enabled, ...(o.user !== undefined ? { user: o.user } : enabled && config.shell.user ? { user: config.shell.user } : {}) };
      await saveNodeConfig(home, config);
      process.stdout.write(`The shell is ${enabled ? `on${config.shell.user ? ` (as ${config.shell.user})` : ''}` : 'off'}. ${RESTART}\n`);
    });

  node
    .command('jobs <on|off>')
    .description('accept or refuse jobs (commands, file pushes, updates) from the server')
    .option('--update-key <file>', 'trust job manifests signed by this ed25519 public key (PEM); updates must then be signed')
    .option('--require <what>', 'with an update key, what must be signed: "updates" or "all" (every job)')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (state: string, o: { updateKey?: string; require?: string; home?: string }) => {
      const enabled = onOff(state);
      if (o.require !== undefined && o.require !== 'updates' && o.require !== 'all') throw new BurrowError('VALIDATION', `--require is "updates" or "all", not "${o.require}".`);
      const home = resolveHome(o.home, process.env);
      const config = await loadNodeConfig(home);
      let updateKey = config.jobs.updateKey;
      if (o.updateKey !== undefined) {
        const pem = await readFile(o.updateKey, 'utf8');
        let key;
        try {
          key = createPublicKey(pem);
        } catch {
          throw new BurrowError('VALIDATION', `${o.updateKey} does not hold a public key in PEM form.`);
        }
        if (key.asymmetricKeyType !== 'ed25519') throw new BurrowError('VALIDATION', 'The update key must be an ed25519 key.');
        updateKey = key.export({ type: 'spki', format: 'pem' }).toString();
      }
      if (o.require !== undefined && updateKey === undefined) throw new BurrowError('VALIDATION', '--require needs an update key (--update-key FILE) to check signatures with.');
      const require = o.require === 'all' || (o.require === undefined && config.jobs.require === 'all') ? 'all' : 'updates';
      config.jobs = { enabled, ...(updateKey ? { updateKey } : {}), require };
      await saveNodeConfig(home, config);
      const signed = updateKey ? (require === 'all' ? '; every job must be signed' : '; updates must be signed') : '';
      process.stdout.write(`Jobs are ${enabled ? 'accepted' : 'refused'}${signed}. ${RESTART}\n`);
    });
}
