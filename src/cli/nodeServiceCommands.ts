import type { Command } from 'commander';
import { nodeConfigSchema } from '../shared/config.js';
import { parseConfigFile } from '../shared/configFile.js';
import { BurrowError } from '../shared/errors.js';
import { serviceNameSchema } from '../shared/protocol.js';
import { parseServiceTarget } from '../shared/serviceTarget.js';
import { nodePaths, readNodeConfigFile, saveNodeConfig } from '../node/nodeHome.js';
import { addService, allowTarget, removeService, type ServiceSettings } from '../node/serviceEdits.js';
import { printJson } from './cliOutput.js';
import { parseServices } from './nodeCommands.js';
import { nodeHomeOf, nodeHomeOption, type NodeOpts } from './nodeShared.js';

const LIVE = 'A running agent announces the change at once (it reconnects, which ends the sessions open on it).';

/** Rewrites the services part of node.json; a running agent picks the change up by itself. */
async function edit(o: NodeOpts, change: (s: ServiceSettings) => ServiceSettings): Promise<ServiceSettings> {
  const home = nodeHomeOf(o);
  const raw = await readNodeConfigFile(home);
  const file = nodePaths(home).config;
  const next = change(parseConfigFile(nodeConfigSchema, raw, file));
  await saveNodeConfig(home, parseConfigFile(nodeConfigSchema, { ...raw, services: next.services, allowedTargets: next.allowedTargets }, file));
  return next;
}

/** `burrow node service add|rm|allow|list`: the local services this node exposes, and the targets the server may choose. */
export function registerNodeServiceCommands(node: Command): void {
  const service = node.command('service').description('the local services this node exposes through its tunnel');

  service
    .command('add <name=target>')
    .description('expose a local service (host:port, http(s)://host:port or tcp://host:port); the server may then also point services at its target')
    .option(...nodeHomeOption)
    .option('--json', 'print JSON')
    .action(async (spec: string, o: NodeOpts) => {
      const [[name, target]] = Object.entries(parseServices([spec])) as [[string, string]];
      const s = await edit(o, (cur) => addService(cur, name, target));
      if (o.json) printJson(s);
      else process.stdout.write(`Service ${name} now reaches ${target}. ${LIVE}\n`);
    });

  service
    .command('rm <name>')
    .description('stop exposing a service; the server may no longer point services at its target')
    .option(...nodeHomeOption)
    .option('--json', 'print JSON')
    .action(async (name: string, o: NodeOpts) => {
      if (!serviceNameSchema.safeParse(name).success) throw new BurrowError('VALIDATION', `"${name}" is not a service name.`);
      const s = await edit(o, (cur) => {
        if (!Object.hasOwn(cur.services, name)) throw new BurrowError('NOT_FOUND', `This node has no service ${name}.`);
        return removeService(cur, name);
      });
      if (o.json) printJson(s);
      else process.stdout.write(`Service ${name} is no longer exposed. ${LIVE}\n`);
    });

  service
    .command('allow <target>')
    .description('let the server point a service at this target ("burrow admin node services") without exposing it now')
    .option(...nodeHomeOption)
    .option('--json', 'print JSON')
    .action(async (target: string, o: NodeOpts) => {
      if (!parseServiceTarget(target)) throw new BurrowError('VALIDATION', `"${target}" is not host:port, http(s)://host:port or tcp://host:port.`);
      const s = await edit(o, (cur) => allowTarget(cur, target));
      if (o.json) printJson(s);
      else process.stdout.write(`The server may now point a service at ${target}.\n`);
    });

  service
    .command('list')
    .description('show the exposed services and the targets the server may choose')
    .option(...nodeHomeOption)
    .option('--json', 'print JSON')
    .action(async (o: NodeOpts) => {
      const home = nodeHomeOf(o);
      const s = parseConfigFile(nodeConfigSchema, await readNodeConfigFile(home), nodePaths(home).config);
      if (o.json) printJson({ services: s.services, allowedTargets: s.allowedTargets });
      else {
        for (const [name, target] of Object.entries(s.services)) process.stdout.write(`${name.padEnd(16)} ${target}\n`);
        process.stdout.write(`allowed targets: ${s.allowedTargets.join(', ') || '(none)'}\n`);
      }
    });
}
