import type { Clock } from '../shared/clock.js';
import type { NodeConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { FILES_SERVICE } from '../shared/fileProtocol.js';
import { JOBS_SERVICE, SHELL_SERVICE } from '../shared/protocol.js';
import { FileService } from './files/fileService.js';
import { JobRunner } from './jobs/jobRunner.js';
import { UsedManifests } from './jobs/usedManifests.js';
import { loadNodeConfig, nodePaths } from './nodeHome.js';
import { collectNodeStatus } from './nodeStatus.js';
import { ShellServer } from './shell/shellServer.js';
import type { BuiltinService } from './serviceForwarder.js';

/**
 * The services the agent serves itself, as the operator enabled them in node.json. A
 * disabled one is not announced at all, so the server cannot even open a channel to it.
 * The files service is announced once the operator allowed a directory or listed a log for
 * support bundles; it reads those from node.json again at each request, so a revocation
 * applies to the next pull without a restart.
 */
export function builtinServices(config: NodeConfig, node: { home: string; clock: Clock }, privateKey: () => string, log: Logger, env: Readonly<Record<string, string | undefined>>): Record<string, BuiltinService> {
  const out: Record<string, BuiltinService> = {};
  if (config.shell.enabled) {
    const shell = new ShellServer({ hostKey: privateKey, trustedKey: config.sshHostKey, user: config.shell.user, home: config.shell.home, log });
    out[SHELL_SERVICE] = (channel, _subject, approvedWhat) => shell.handle(channel, approvedWhat);
  }
  if (config.jobs.enabled) {
    const jobs = new JobRunner({
      signing: { updateKey: config.jobs.updateKey, require: config.jobs.require, nodeId: config.nodeId },
      usedManifests: new UsedManifests(nodePaths(node.home).usedManifests),
      now: () => node.clock.now(),
      env,
      log: log.child({ part: 'jobs' }),
    });
    out[JOBS_SERVICE] = (channel, approvedJob, approvedWhat) => jobs.handle(channel, approvedJob, approvedWhat);
  }
  if (config.files.allow.length > 0 || config.files.bundleLogs.length > 0) {
    const files = new FileService({
      config: () => loadNodeConfig(node.home, { ...env }),
      status: (c) => collectNodeStatus(c.services, node.home, { mode: c.mode, nextCheckInAt: null }),
      log: log.child({ part: 'files' }),
    });
    out[FILES_SERVICE] = (channel) => files.handle(channel);
  }
  return out;
}
