import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { loadNodeConfig, readPrivateKey, writeAgentState } from './nodeHome.js';
import { TunnelAgent } from './tunnelAgent.js';
import { builtinServices } from './builtinServices.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Starts the agent daemon of the node in `home`; resolves to a stop function. */
export async function runAgent(o: { home: string; env: NodeJS.ProcessEnv; log: Logger; clock: Clock }): Promise<() => Promise<void>> {
  const config = await loadNodeConfig(o.home, o.env);
  const privateKey = await readPrivateKey(o.home);
  const log = o.log.child({ nodeId: config.nodeId });
  let writes = Promise.resolve();
  const agent = new TunnelAgent({
    config,
    privateKey,
    clock: o.clock,
    log,
    builtins: builtinServices(config, privateKey, log, o.env),
    onReport: (r) => {
      // Serialize the writes so the file always ends with the latest state.
      writes = writes
        .then(() =>
          writeAgentState(o.home, {
            state: r.state,
            pid: process.pid,
            since: new Date(o.clock.now()).toISOString(),
            lastConnectedAt: iso(r.lastConnectedAt),
            lastError: r.lastError,
            nextAttemptAt: iso(r.nextAttemptAt),
          }),
        )
        .catch((err: Error) => log.warn({ err: err.message }, 'could not write state.json'));
    },
  });
  log.info({ server: config.serverUrl, services: Object.keys(config.services), shell: config.shell.enabled, jobs: config.jobs.enabled }, 'burrow agent starting');
  // The clock's timers are unref'd, so while the agent waits to reconnect nothing would
  // keep the process alive and the daemon would exit silently; this handle does, until stop.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  agent.start();
  return async () => {
    clearInterval(keepAlive);
    agent.stop();
    await writes;
  };
}
