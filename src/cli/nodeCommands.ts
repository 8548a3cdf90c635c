import type { Command } from 'commander';
import { hostname } from 'node:os';
import { systemClock } from '../shared/clock.js';
import { BurrowError } from '../shared/errors.js';
import { serviceNameSchema } from '../shared/protocol.js';
import { parseServiceTarget } from '../shared/serviceTarget.js';
import { parseLabel } from '../shared/labelSelector.js';
import { loadNodeConfig, readAgentState } from '../node/nodeHome.js';
import { readTrafficFile, type TrafficFile } from '../node/nodeTraffic.js';
import { formatByteSize } from '../shared/byteSize.js';
import { registerNodeModeCommands } from './nodeModeCommands.js';
import { registerNodeProxyCommands } from './nodeProxyCommands.js';
import { registerNodeServiceCommands } from './nodeServiceCommands.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';
import { onShutdown } from './shutdown.js';
import { registerNodeFeatureCommands } from './nodeFeatureCommands.js';
import { registerNodeApprovalCommands } from './nodeApprovalCommands.js';
import { registerNodeFileCommands } from './nodeFileCommands.js';
import { registerNodeConditionCommands } from './nodeConditionCommands.js';
import { registerNodeRotateKeyCommand } from './keyRotationCommands.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Parses repeated `--service name=[http(s)://|tcp://]host:port` into the allow-list. */
export function parseServices(specs: string[]): Record<string, string> {
  const services: Record<string, string> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    if (!m || !serviceNameSchema.safeParse(m[1]).success || !parseServiceTarget(m[2] as string)) {
      throw new BurrowError(
        'VALIDATION',
        `--service "${spec}" is not name=host:port, name=http(s)://host:port or name=tcp://host:port with a name of a-z, 0-9 and - (e.g. webui=127.0.0.1:80, ssh=tcp://127.0.0.1:22).`,
      );
    }
    services[m[1] as string] = m[2] as string;
  }
  return services;
}

/**
 * `burrow node …`: what a node operator runs on the appliance. The agent and enrollment
 * (ssh2, ws, pino) are imported only when those commands run: every other command, and
 * every `burrow admin …` that shares this file's helpers, starts without them.
 */
export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('enroll and run the agent on an appliance');

  node
    .command('enroll <url>')
    .description('make this node a key and register it with the server')
    .requiredOption('--token <token>', 'the enrollment token from "burrow admin enroll-token create"')
    .option('--name <name>', 'the name the console shows', hostname())
    .option(
      '--service <name=[scheme://]host:port>',
      'a local service to expose (repeatable): http://host:port a WebUI, https://host:port a WebUI with its own (even self-signed) TLS, tcp://host:port a plain TCP service (sessions default to tcp); a bare host:port is either, sessions default to http. Without any: webui=127.0.0.1:80, or for a node pre-registered by a CSV import the services listed for it',
      collect,
      [] as string[],
    )
    .option('--label <key=value>', 'a label for the node (repeatable), e.g. site=paris; administrators may change labels later', collect, [] as string[])
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .option('--json', 'print JSON')
    .action(async (url: string, o: { token: string; name: string; service: string[]; label: string[]; home?: string; json?: boolean }) => {
      // No --service: webui=127.0.0.1:80, or the services listed for a pre-registered node.
      const services = o.service.length ? { services: parseServices(o.service) } : {};
      const labels = Object.fromEntries(o.label.map(parseLabel));
      const { enroll } = await import('../node/enroll.js');
      const r = await enroll({ home: resolveHome(o.home, process.env), serverUrl: url, token: o.token, name: o.name, ...services, ...(o.label.length ? { labels } : {}) });
      if (o.json) printJson({ nodeId: r.config.nodeId, status: r.status, services: r.config.services });
      else {
        const next = r.status === 'pending' ? 'An administrator must approve it; then run "burrow node run".' : 'Start the agent with "burrow node run".';
        process.stdout.write(`Enrolled as ${r.config.nodeId} (${r.status}). ${next}\n`);
      }
    });

  node
    .command('run')
    .description('run the agent: keep the tunnel to the server up')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (o: { home?: string }) => {
      const home = resolveHome(o.home, process.env);
      const config = await loadNodeConfig(home, process.env);
      const [{ createLogger }, { runAgent }] = await Promise.all([import('../shared/log.js'), import('../node/agentRunner.js')]);
      const log = createLogger({ level: config.logLevel, name: 'burrow-node' });
      const stop = await runAgent({ home, env: process.env, log, clock: systemClock });
      onShutdown(log, stop);
    });

  registerNodeFeatureCommands(node);
  registerNodeApprovalCommands(node);
  registerNodeFileCommands(node);
  registerNodeConditionCommands(node);

  node
    .command('status')
    .description("show this node's identity and tunnel state")
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .option('--json', 'print JSON')
    .action(async (o: { home?: string; json?: boolean }) => {
      const home = resolveHome(o.home, process.env);
      const config = await loadNodeConfig(home, process.env);
      const state = await readAgentState(home);
      const running = state ? isAlive(state.pid) : false;
      const traffic = await readTrafficFile(home);
      const status = {
        nodeId: config.nodeId,
        name: config.name,
        server: config.serverUrl,
        services: config.services,
        mode: config.mode,
        schedule: config.mode === 'on-demand' ? (config.schedule ?? null) : null,
        modeLocked: config.modeLocked,
        shell: config.shell,
        jobs: { enabled: config.jobs.enabled, signedUpdates: config.jobs.updateKey !== undefined, mustBeSigned: config.jobs.updateKey === undefined ? 'nothing' : config.jobs.require },
        agent: running ? 'running' : 'stopped',
        connect: running ? (state?.connect ?? null) : null,
        connected: running && state?.state === 'connected',
        lastConnectedAt: state?.lastConnectedAt ?? null,
        nextAttemptAt: running ? (state?.nextAttemptAt ?? null) : null,
        nextCheckInAt: running ? (state?.nextCheckInAt ?? null) : null,
        lastError: state?.lastError ?? null,
        data: dataStatus(traffic),
      };
      if (o.json) printJson(status);
      else for (const [k, v] of Object.entries(status)) process.stdout.write(`${k.padEnd(16)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
    });

  registerNodeModeCommands(node);
  registerNodeProxyCommands(node);
  registerNodeServiceCommands(node);
  registerNodeRotateKeyCommand(node);
}

/** Whether process `pid` exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The node's own count this month and the budget the server last told, for `burrow node status`. */
function dataStatus(t: TrafficFile | undefined) {
  if (!t) return null;
  const used = t.bytesIn + t.bytesOut;
  const b = t.budget && t.budget.month === t.month ? t.budget : null;
  return {
    month: t.month,
    bytesIn: t.bytesIn,
    bytesOut: t.bytesOut,
    used: formatByteSize(used),
    asOf: t.updatedAt,
    budget: b ? { limit: formatByteSize(b.limitBytes), serverCount: formatByteSize(b.usedBytes), percent: Math.floor((b.usedBytes * 1000) / b.limitBytes) / 10, level: b.level, over: b.over, overridden: b.overridden } : null,
  };
}
