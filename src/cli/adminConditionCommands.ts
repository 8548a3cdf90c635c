import type { Command } from 'commander';
import type { ConditionRule, NodeConditionsView } from '../shared/conditions.js';
import { printJson, printTable } from './cliOutput.js';
import { client, homeOption, withCommon, type HomeOpt } from './adminShared.js';
import { conditionOptions, describeRule, describeState, ruleFromOptions, type ConditionOpts } from './conditionOptions.js';

const path = (node: string) => `/v1/nodes/${encodeURIComponent(node)}/conditions`;

/** `burrow admin node condition add|list|remove` and `burrow admin node conditions`: rules administrators define, states nodes report. */
export function registerAdminConditionCommands(node: Command): void {
  const condition = node.command('condition').description('condition rules administrators define on a node (log and value rules; command rules are the node operator\'s)');

  withCommon(conditionOptions(condition.command('add <node> <name>').description("add or replace a rule on a node; the node accepts log and value rules only on files its operator allows (\"burrow node files allow\")"), false))
    .action(async (id: string, name: string, o: HomeOpt & ConditionOpts) => {
      const rule = ruleFromOptions(name, o, []);
      const r = await (await client(o)).call<{ nodeId: string; rule: ConditionRule }>('POST', path(id), rule);
      if (o.json) printJson(r);
      else process.stdout.write(`Condition ${name} set on ${id}: ${describeRule(r.rule)}. The node checks it against its own policy; "burrow admin node conditions ${id}" shows whether it took it.\n`);
    });

  withCommon(condition.command('list <node>').description('the rules administrators defined on a node'))
    .action(async (id: string, o: HomeOpt) => {
      const r = await (await client(o)).call<NodeConditionsView>('GET', path(id));
      if (o.json) return printJson(r.rules);
      if (r.rules.length === 0) process.stdout.write('No condition rules defined by administrators.\n');
      else printTable(r.rules.map((x) => ({ name: x.rule.name, rule: describeRule(x.rule), createdAt: x.createdAt })), ['name', 'rule', 'createdAt']);
    });

  condition
    .command('remove <node> <name>')
    .description('remove a rule an administrator defined')
    .option(...homeOption)
    .action(async (id: string, name: string, o: HomeOpt) => {
      await (await client(o)).call('DELETE', `${path(id)}/${encodeURIComponent(name)}`);
      process.stdout.write(`Condition ${name} removed from ${id}.\n`);
    });

  withCommon(
    node
      .command('conditions <node>')
      .description("the states of a node's condition rules (the operator's and the administrators'), and their recent changes")
      .option('--limit <n>', 'how many past changes to include', '10'),
  )
    .action(async (id: string, o: HomeOpt & { limit: string }) => {
      const r = await (await client(o)).call<NodeConditionsView>('GET', `${path(id)}?limit=${encodeURIComponent(o.limit)}`);
      if (o.json) return printJson(r);
      if (r.states.length === 0) process.stdout.write('The node reports no condition rules.\n');
      for (const s of r.states) process.stdout.write(`${describeState(s)}\n`);
      if (r.history.length) {
        process.stdout.write('\nRecent changes:\n');
        printTable(r.history.map((h) => ({ at: h.at, name: h.name, origin: h.origin, state: h.state, detail: h.detail })), ['at', 'name', 'origin', 'state', 'detail']);
      }
    });
}
