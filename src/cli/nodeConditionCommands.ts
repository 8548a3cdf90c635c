import type { Command } from 'commander';
import { systemClock } from '../shared/clock.js';
import type { ConditionRule } from '../shared/conditions.js';
import { nodeConfigSchema } from '../shared/config.js';
import { parseConfigFile } from '../shared/configFile.js';
import { BurrowError } from '../shared/errors.js';
import { readJsonFile } from '../shared/secureFiles.js';
import { conditionEvaluator } from '../node/conditions/conditionEvaluator.js';
import { nodeStatusValue } from '../node/conditions/nodeConditions.js';
import { loadNodeConfig, nodePaths, readAgentState, readNodeConfigFile, saveNodeConfig } from '../node/nodeHome.js';
import { printJson, printTable } from './cliOutput.js';
import { conditionOptions, describeRule, describeState, ruleFromOptions, type ConditionOpts } from './conditionOptions.js';
import { nodeHomeOf, nodeHomeOption, type NodeOpts } from './nodeShared.js';

/** Saves the operator's rules into node.json (as stored, without environment overrides). */
async function saveRules(home: string, rules: ConditionRule[]): Promise<void> {
  const raw = await readNodeConfigFile(home);
  await saveNodeConfig(home, parseConfigFile(nodeConfigSchema, { ...raw, conditions: rules }, nodePaths(home).config));
}

/** `burrow node conditions …`: rules the agent evaluates on this node, defined by its operator. */
export function registerNodeConditionCommands(node: Command): void {
  const conditions = node.command('conditions').description('condition rules evaluated on this node (log patterns, commands, values)');

  conditionOptions(conditions.command('add <name> [argv...]').description('add or replace a rule; a running agent picks it up without a restart'), true)
    .option(...nodeHomeOption)
    .action(async (name: string, argv: string[], o: NodeOpts & ConditionOpts) => {
      const home = nodeHomeOf(o);
      const rule = ruleFromOptions(name, o, argv);
      const config = await loadNodeConfig(home);
      await saveRules(home, [...config.conditions.filter((r) => r.name !== name), rule]);
      process.stdout.write(`Condition ${name} ${config.conditions.some((r) => r.name === name) ? 'replaced' : 'added'}: ${describeRule(rule)}. A running agent applies it at once.\n`);
    });

  conditions
    .command('remove <name>')
    .description("remove one of the operator's rules")
    .option(...nodeHomeOption)
    .action(async (name: string, o: NodeOpts) => {
      const home = nodeHomeOf(o);
      const config = await loadNodeConfig(home);
      if (!config.conditions.some((r) => r.name === name)) throw new BurrowError('NOT_FOUND', `There is no condition ${name} of this node's operator; "burrow node conditions list" shows them.`);
      await saveRules(home, config.conditions.filter((r) => r.name !== name));
      process.stdout.write(`Condition ${name} removed.\n`);
    });

  conditions
    .command('list')
    .description("the operator's rules, the administrators' rules the server delivered, and their states as the agent last saw them")
    .option('--json', 'print JSON')
    .option(...nodeHomeOption)
    .action(async (o: NodeOpts) => {
      const home = nodeHomeOf(o);
      const config = await loadNodeConfig(home);
      const admin = (await readJsonFile(nodePaths(home).adminConditions).catch(() => undefined)) ?? [];
      const states = (await readAgentState(home))?.conditions ?? [];
      if (o.json) return printJson({ operator: config.conditions, admin, states });
      const stateOf = (name: string, origin: string) => states.find((s) => s.name === name && s.origin === origin);
      const rows = config.conditions.map((r) => ({ name: r.name, origin: 'operator', rule: describeRule(r), state: stateOf(r.name, 'operator')?.state ?? '-', detail: stateOf(r.name, 'operator')?.detail ?? '' }));
      for (const s of states.filter((x) => x.origin === 'admin')) rows.push({ name: s.name, origin: 'admin', rule: s.kind, state: s.state, detail: s.detail });
      if (rows.length === 0) {
        process.stdout.write('No condition rules.\n');
        return;
      }
      printTable(rows, ['name', 'origin', 'rule', 'state', 'detail']);
    });

  conditions
    .command('test <name>')
    .description("evaluate one of the operator's rules once, now (a log rule counts the lines the file holds now)")
    .option('--json', 'print JSON')
    .option(...nodeHomeOption)
    .action(async (name: string, o: NodeOpts) => {
      const home = nodeHomeOf(o);
      const rule = (await loadNodeConfig(home)).conditions.find((r) => r.name === name);
      if (!rule) throw new BurrowError('NOT_FOUND', `There is no condition ${name} of this node's operator; "burrow node conditions list" shows them.`);
      const e = conditionEvaluator(rule, { clock: systemClock, statusValue: (w) => nodeStatusValue(w, home), logFromStart: true });
      const f = await e.evaluate().finally(() => e.close());
      if (o.json) return printJson({ name, ...f });
      process.stdout.write(`${describeState({ name, origin: 'operator', kind: rule.kind, state: f.state, value: f.value, since: new Date().toISOString(), detail: f.detail }).replace(/ since \S+/, '')}\n`);
    });
}
