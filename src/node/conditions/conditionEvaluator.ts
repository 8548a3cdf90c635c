import { readFile } from 'node:fs/promises';
import type { Clock } from '../../shared/clock.js';
import { compare, type ConditionRule, type StatusValue } from '../../shared/conditions.js';
import { firstNumber, runCommand } from './commandProbe.js';
import { LogFollower, openLog, type LogOpener } from './logFollower.js';

/** What one evaluation found. */
export interface Finding {
  state: 'ok' | 'firing' | 'error';
  value: number | null;
  detail: string;
}

/** Evaluates one rule, again and again; holds what the rule needs between runs (a followed file). */
export interface ConditionEvaluator {
  evaluate(): Promise<Finding>;
  close(): Promise<void>;
}

/** Where the files a rule reads are opened and the node's own figures come from. */
export interface EvaluatorDeps {
  clock: Clock;
  /** Percent of disk and memory in use, the 1-minute load. */
  statusValue: (which: StatusValue) => Promise<number>;
  /** Opens a log file (an administrator's rule checks the path against the operator's allowances). */
  openLog?: LogOpener;
  /** Reads a value file (checked like openLog for an administrator's rule). */
  readValueFile?: (path: string) => Promise<string>;
  /** Compiles a log rule's pattern (an administrator's runs on the linear-time engine). */
  compilePattern?: (pattern: string) => RegExp;
  /** Count the lines a log holds now, not only those appended later (a one-off test). */
  logFromStart?: boolean;
}

/** Most bytes of a value file read: a sysfs value is a line, not a document. */
const VALUE_FILE_MAX = 4096;
/** Most matches remembered per log rule; a count threshold is capped to the same. */
export const LOG_MATCHES_MAX = 10_000;

/** Reads the start of a file (at most VALUE_FILE_MAX bytes). */
export async function readValueFile(path: string): Promise<string> {
  const text = await readFile(path, { encoding: 'utf8', flag: 'r' });
  return text.slice(0, VALUE_FILE_MAX);
}

/** Matching lines of a followed log, counted over a sliding window on the clock. */
class LogEvaluator implements ConditionEvaluator {
  private readonly follower: LogFollower;
  private readonly regex: RegExp;
  /** When each remembered match was read, oldest first. */
  private readonly matches: number[] = [];

  constructor(
    private readonly rule: Extract<ConditionRule, { kind: 'log' }>,
    private readonly d: EvaluatorDeps,
  ) {
    this.regex = d.compilePattern ? d.compilePattern(rule.pattern) : new RegExp(rule.pattern);
    this.follower = new LogFollower(rule.path, (line) => this.onLine(line), d.openLog ?? openLog, d.logFromStart ? 'start' : 'end');
  }

  private onLine(line: string): void {
    if (!this.regex.test(line)) return;
    this.matches.push(this.d.clock.now());
    if (this.matches.length > LOG_MATCHES_MAX) this.matches.shift();
  }

  async evaluate(): Promise<Finding> {
    try {
      // A one-off test reads the whole file, a bounded chunk at a time; a watch reads what one poll allows.
      while ((await this.follower.poll()) > 0 && this.d.logFromStart);
    } catch (err) {
      return { state: 'error', value: null, detail: (err as Error).message };
    }
    const from = this.d.clock.now() - this.rule.windowMs;
    while (this.matches.length > 0 && (this.matches[0] as number) <= from) this.matches.shift();
    const count = this.matches.length;
    const windowS = Math.round(this.rule.windowMs / 1000);
    const firing = count >= Math.min(this.rule.count, LOG_MATCHES_MAX);
    return { state: firing ? 'firing' : 'ok', value: count, detail: `${count} matching line(s) in the last ${windowS} s (fires at ${this.rule.count})` };
  }

  close(): Promise<void> {
    return this.follower.close();
  }
}

/** A command's exit code, or the first number it prints, against the threshold. */
class CommandEvaluator implements ConditionEvaluator {
  constructor(
    private readonly rule: Extract<ConditionRule, { kind: 'command' }>,
    private readonly d: EvaluatorDeps,
  ) {}

  async evaluate(): Promise<Finding> {
    const r = await runCommand(this.rule.argv, this.rule.timeoutMs, this.d.clock);
    if (!r.ok) return { state: 'error', value: null, detail: r.error };
    const { op, threshold } = this.rule;
    if (op === undefined || threshold === undefined) {
      return { state: r.exitCode === 0 ? 'ok' : 'firing', value: r.exitCode, detail: `exit code ${r.exitCode}` };
    }
    const n = firstNumber(r.stdout);
    if (n === undefined) return { state: 'error', value: null, detail: `the command printed no number (exit code ${r.exitCode})` };
    return { state: compare(n, op, threshold) ? 'firing' : 'ok', value: n, detail: `printed ${n} (fires when ${op} ${threshold})` };
  }

  async close(): Promise<void> {}
}

/** A number from a file (scaled) or from the node's status, against the threshold. */
class ValueEvaluator implements ConditionEvaluator {
  constructor(
    private readonly rule: Extract<ConditionRule, { kind: 'value' }>,
    private readonly d: EvaluatorDeps,
  ) {}

  async evaluate(): Promise<Finding> {
    const { source, op, threshold } = this.rule;
    let value: number;
    let what: string;
    if ('status' in source) {
      value = await this.d.statusValue(source.status);
      what = source.status === 'load' ? 'load' : `${source.status} use %`;
    } else {
      let text: string;
      try {
        text = await (this.d.readValueFile ?? readValueFile)(source.file);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { state: 'error', value: null, detail: e.code === 'ENOENT' ? `${source.file} does not exist` : `cannot read ${source.file} (${e.code ?? e.message})` };
      }
      const n = firstNumber(text);
      if (n === undefined) return { state: 'error', value: null, detail: `${source.file} holds no number` };
      value = n * source.scale;
      what = source.file;
    }
    const rounded = Math.round(value * 1000) / 1000;
    return { state: compare(value, op, threshold) ? 'firing' : 'ok', value: rounded, detail: `${what} is ${rounded} (fires when ${op} ${threshold})` };
  }

  async close(): Promise<void> {}
}

/** The evaluator of `rule`. */
export function conditionEvaluator(rule: ConditionRule, d: EvaluatorDeps): ConditionEvaluator {
  if (rule.kind === 'log') return new LogEvaluator(rule, d);
  if (rule.kind === 'command') return new CommandEvaluator(rule, d);
  return new ValueEvaluator(rule, d);
}
