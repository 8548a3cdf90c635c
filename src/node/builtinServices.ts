import type { ClientChannel } from 'ssh2';
import type { Clock } from '../shared/clock.js';
import type { NodeConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { JOBS_SERVICE, SHELL_SERVICE } from '../shared/protocol.js';
import { JobRunner } from './jobs/jobRunner.js';
import { UsedManifests } from './jobs/usedManifests.js';
import { nodePaths } from './nodeHome.js';
import { ShellServer } from './shell/shellServer.js';

/**
 * The services the agent serves itself, as the operator enabled them in node.json. A
 * disabled one is not announced at all, so the server cannot even open a channel to it.
 */
export function builtinServices(config: NodeConfig, node: { home: string; clock: Clock }, privateKey: () => string, log: Logger, env: Readonly<Record<string, string | undefined>>): Record<string, (channel: ClientChannel) => void> {
  const out: Record<string, (channel: ClientChannel) => void> = {};
  if (config.shell.enabled) {
    const shell = new ShellServer({ hostKey: privateKey, trustedKey: config.sshHostKey, user: config.shell.user, log });
    out[SHELL_SERVICE] = (channel) => shell.handle(channel);
  }
  if (config.jobs.enabled) {
    const jobs = new JobRunner({
      signing: { updateKey: config.jobs.updateKey, require: config.jobs.require, nodeId: config.nodeId },
      usedManifests: new UsedManifests(nodePaths(node.home).usedManifests),
      now: () => node.clock.now(),
      env,
      log: log.child({ part: 'jobs' }),
    });
    out[JOBS_SERVICE] = (channel) => jobs.handle(channel);
  }
  return out;
}
