import type { Command } from 'commander';
import { resolve } from 'node:path';
import { conditionRuleSchema, statusValueSchema, type ConditionRule, type ConditionState } from '../shared/conditions.js';
import { parseDuration } from '../shared/duration.js';
import { BurrowError } from '../shared/errors.js';

/** The options that describe a condition rule on the command line. */
export interface ConditionOpts {
  log?: string;
  pattern?: string;
  count?: string;
  window?: string;
  command?: boolean;
  value?: string;
  scale?: string;
  above?: string;
  below?: string;
  every?: string;
  timeout?: string;
  connect: boolean;
}

/** Adds the rule options to `cmd`; `command` only where command rules may be defined (on the node). */
export function conditionOptions(cmd: Command, command: boolean): Command {
  cmd
    .option('--log <file>', 'log rule: the log file, followed like tail -F')
    .option('--pattern <regex>', 'log rule: a regular expression each line is matched against')
    .option('--count <n>', 'log rule: fire at this many matching lines within the window', '1')
    .option('--window <duration>', 'log rule: the window the lines are counted in', '5m')
    .option('--value <source>', 'value rule: a file holding a number, or disk, memory (percent used) or load (1-minute)')
    .option('--scale <factor>', 'value rule: multiply the number in the file by this (e.g. 0.001 for millidegrees)');
  if (command) {
    cmd.option('--command', 'command rule: run the program given after -- (absolute path, no shell); fires on a non-zero exit, or with --above/--below on the first number it prints');
    cmd.option('--timeout <duration>', 'command rule: kill the command after this long', '10s');
  }
  return cmd
    .option('--above <x>', 'fire when the value is above x')
    .option('--below <x>', 'fire when the value is below x')
    .option('--every <duration>', 'how often to evaluate (default: 5s for logs, 1m otherwise)')
    .option('--no-connect', 'when it fires, do not make an on-demand node connect outside its window');
}

function numberOf(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new BurrowError('VALIDATION', `${flag} needs a number.`);
  return n;
}

/** The comparison --above or --below asks for. */
function comparison(o: ConditionOpts, needed: boolean): { op?: '>' | '<'; threshold?: number } {
  if (o.above !== undefined && o.below !== undefined) throw new BurrowError('VALIDATION', 'Give --above or --below, not both.');
  if (o.above !== undefined) return { op: '>', threshold: numberOf(o.above, '--above') };
  if (o.below !== undefined) return { op: '<', threshold: numberOf(o.below, '--below') };
  if (needed) throw new BurrowError('VALIDATION', 'A value rule needs --above or --below.');
  return {};
}

/** The rule named `name` that the options describe (paths made absolute), checked like node.json checks it. */
export function ruleFromOptions(name: string, o: ConditionOpts, argv: string[]): ConditionRule {
  const kinds = [o.log !== undefined, o.command === true, o.value !== undefined].filter(Boolean).length;
  if (kinds !== 1) throw new BurrowError('VALIDATION', `Give exactly one of --log, ${o.command === undefined ? '' : '--command, '}--value.`);
  const every = o.every === undefined ? {} : { everyMs: parseDuration(o.every) };
  let spec: unknown;
  if (o.log !== undefined) {
    if (o.pattern === undefined) throw new BurrowError('VALIDATION', 'A log rule needs --pattern.');
    spec = { kind: 'log', name, path: resolve(o.log), pattern: o.pattern, count: numberOf(o.count ?? '1', '--count'), windowMs: parseDuration(o.window ?? '5m'), ...every, connect: o.connect };
  } else if (o.command) {
    if (argv.length === 0) throw new BurrowError('VALIDATION', 'Give the command after --, e.g. -- /usr/bin/systemctl is-active myapp.');
    spec = { kind: 'command', name, argv, ...comparison(o, false), timeoutMs: parseDuration(o.timeout ?? '10s'), ...every, connect: o.connect };
  } else {
    const v = o.value as string;
    const status = statusValueSchema.safeParse(v);
    const source = status.success ? { status: status.data } : { file: resolve(v), scale: o.scale === undefined ? 1 : numberOf(o.scale, '--scale') };
    spec = { kind: 'value', name, source, ...comparison(o, true), ...every, connect: o.connect };
  }
  if (o.command === undefined && argv.length > 0) throw new BurrowError('VALIDATION', `Unexpected arguments: ${argv.join(' ')}.`);
  const parsed = conditionRuleSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BurrowError('VALIDATION', `The rule is not valid: ${issue?.path.join('.') ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}

/** A rule in one short line, for listings. */
export function describeRule(r: ConditionRule): string {
  const cmp = 'op' in r && r.op !== undefined ? ` ${r.op} ${String(r.threshold)}` : '';
  if (r.kind === 'log') return `log ${r.path} /${r.pattern}/ >= ${r.count} in ${Math.round(r.windowMs / 1000)}s`;
  if (r.kind === 'command') return `command ${r.argv.join(' ')}${cmp || ' exit != 0'}`;
  return `value ${'status' in r.source ? r.source.status : `${r.source.file}${r.source.scale !== 1 ? ` x${r.source.scale}` : ''}`}${cmp}`;
}

/** A state in one short line, for listings. */
export function describeState(s: ConditionState): string {
  return `${s.state.padEnd(8)} ${s.name} (${s.origin}) since ${s.since}: ${s.detail}`;
}
