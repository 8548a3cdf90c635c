import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { labelKeySchema, parseLabel } from '../shared/labelSelector.js';
import type { NodeView } from '../shared/protocol.js';
import { printJson } from './cliOutput.js';
import { client, groupPaths, withCommon, type HomeOpt } from './adminShared.js';
import { ask } from './prompt.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const nodePath = (ref: string, tail = '') => `/v1/nodes/${encodeURIComponent(ref)}${tail}`;
const labelText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';

/** `burrow admin node rename|move|delete|label NODE`: a node's lifecycle and labels. */
export function registerAdminNodeLifecycleCommands(node: Command): void {
  withCommon(node.command('rename <node> <name>').description('give a node a new name (unique within its group)')).action(async (ref: string, name: string, o: HomeOpt) => {
    const r = await (await client(o)).call<NodeView>('POST', nodePath(ref, '/rename'), { name });
    if (o.json) printJson(r);
    else process.stdout.write(`Node ${r.id} is now named ${r.name}.\n`);
  });

  withCommon(
    node
      .command('move <node>')
      .description('move a node to another group; needs the admin role on both groups, and ends what users who may not operate the new group hold open on it')
      .requiredOption('--group <path>', 'the group to move it to (id, name or path such as acme/site1)'),
  ).action(async (ref: string, o: HomeOpt & { group: string }) => {
    const api = await client(o);
    const r = await api.call<NodeView>('POST', nodePath(ref, '/move'), { group: o.group });
    if (o.json) printJson(r);
    else process.stdout.write(`Node ${r.name} (${r.id}) is now in group ${(await groupPaths(api)).get(r.group) ?? r.group}.\n`);
  });

  withCommon(
    node
      .command('delete <node>')
      .description('delete a node: its tunnel is cut, its key is refused for good, its sessions close; its audit trail stays and its name is free again')
      .option('--yes', 'do not ask for confirmation'),
  ).action(async (ref: string, o: HomeOpt & { yes?: boolean }) => {
    if (!o.yes) {
      if (!process.stdin.isTTY) throw new BurrowError('VALIDATION', `Deleting node ${ref} cannot be undone; add --yes to confirm.`);
      const answer = await ask(`Delete node ${ref} for good (its key is refused from now on)? Type yes: `, false);
      if (answer.trim() !== 'yes') throw new BurrowError('VALIDATION', `Node ${ref} was not deleted.`);
    }
    await (await client(o)).call('DELETE', nodePath(ref));
    if (o.json) printJson({ deleted: ref });
    else process.stdout.write(`Deleted node ${ref}.\n`);
  });

  withCommon(
    node
      .command('services <node>')
      .description("change a connected node's services: it applies the change itself, only to targets its operator allowed")
      .option('--set <name=target>', 'expose a service at a target (repeatable), e.g. ssh=tcp://127.0.0.1:22', collect, [] as string[])
      .option('--rm <name>', 'stop exposing a service (repeatable)', collect, [] as string[]),
  ).action(async (ref: string, o: HomeOpt & { set: string[]; rm: string[] }) => {
    if (o.set.length === 0 && o.rm.length === 0) throw new BurrowError('VALIDATION', 'Give --set name=target or --rm name.');
    // The node commands' module (and the node config schemas under it) only for this one.
    const { parseServices } = await import('./nodeCommands.js');
    const set = parseServices(o.set);
    const r = await (await client(o)).call<NodeView>('POST', nodePath(ref, '/services'), { set, remove: o.rm });
    if (o.json) printJson(r);
    else process.stdout.write(`Node ${r.name} now exposes ${r.services.join(', ') || 'no services'}.\n`);
  });

  withCommon(
    node
      .command('label <node> [labels...]')
      .description('set labels (key=value ...) on a node, or remove them with --rm KEY')
      .option('--rm <key>', 'remove this label (repeatable)', collect, [] as string[]),
  ).action(async (ref: string, specs: string[], o: HomeOpt & { rm: string[] }) => {
    const set = Object.fromEntries(specs.map(parseLabel));
    for (const k of o.rm) if (!labelKeySchema.safeParse(k).success) throw new BurrowError('VALIDATION', `"${k}" is not a label key.`);
    if (specs.length === 0 && o.rm.length === 0) throw new BurrowError('VALIDATION', 'Give labels as key=value, or --rm KEY to remove one.');
    const r = await (await client(o)).call<NodeView>('POST', nodePath(ref, '/labels'), { set, remove: o.rm });
    if (o.json) printJson(r);
    else process.stdout.write(`Node ${r.name} has labels ${labelText(r.labels)}.\n`);
  });
}
