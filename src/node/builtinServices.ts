import type { ClientChannel } from 'ssh2';
import type { NodeConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { JOBS_SERVICE, SHELL_SERVICE } from '../shared/protocol.js';
import { JobRunner } from './jobs/jobRunner.js';
import { ShellServer } from './shell/shellServer.js';

/**
 * The services the agent serves itself, as the operator enabled them in node.json. A
 * disabled one is not announced at all, so the server cannot even open a channel to it.
 */
export function builtinServices(config: NodeConfig, privateKey: () => string, log: Logger, env: Readonly<Record<string, string | undefined>>): Record<string, (channel: ClientChannel) => void> {
  const out: Record<string, (channel: ClientChannel) => void> = {};
  if (config.shell.enabled) {
    const shell = new ShellServer({ hostKey: privateKey, trustedKey: config.sshHostKey, user: config.shell.user, log });
    out[SHELL_SERVICE] = (channel) => shell.handle(channel);
  }
  if (config.jobs.enabled) {
    const jobs = new JobRunner({ updateKey: config.jobs.updateKey, env, log: log.child({ part: 'jobs' }) });
    out[JOBS_SERVICE] = (channel) => jobs.handle(channel);
  }
  return out;
}
