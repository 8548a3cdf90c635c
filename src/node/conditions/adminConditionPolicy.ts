import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { conditionRuleSchema, type ConditionRule } from '../../shared/conditions.js';
import type { NodeConfig } from '../../shared/config.js';
import { linearPattern } from './linearPattern.js';
import type { RefusedRule, WatchedRule } from './conditionMonitor.js';

/** Whether `path` is `dir` itself or lies under it. */
function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * `path` resolved (every symlink followed), if it lies under one of the allowed directories
 * (resolved too). A file not there yet (a log created later) is judged by its directory.
 */
async function allowedRealPath(path: string, allow: readonly string[]): Promise<string | undefined> {
  const real = await realpath(path).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') return undefined;
    const dir = await realpath(dirname(path)).catch(() => undefined);
    return dir === undefined ? undefined : join(dir, basename(path));
  });
  if (real === undefined) return undefined;
  const dirs = await Promise.all(allow.map((d) => realpath(d).catch(() => undefined)));
  return dirs.some((d) => d !== undefined && isWithin(real, d)) ? real : undefined;
}

/** A quantifier that repeats without bound at `pattern[i]`: `+`, `*` or `{n,}` / `{n,m}`. */
function repeatsAt(pattern: string, i: number): boolean {
  const c = pattern[i];
  return c === '+' || c === '*' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
}

/**
 * A pattern that repeats a group holding a quantifier or an alternation ("(a+)+", "((a+))+",
 * "(a|a)*", "(x*){2,}") can take exponential time on a crafted line; an administrator's
 * pattern must not hang the agent. Groups are followed through nesting, past escapes and
 * character classes; an alternation that repeats is refused too, as overlapping ones are
 * as bad and telling them apart is not worth the risk.
 */
export function nestedQuantifier(pattern: string): boolean {
  const groups: { repeats: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const top = groups[groups.length - 1];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') groups.push({ repeats: false });
    else if (c === '|') {
      if (top) top.repeats = true;
    } else if (c === ')') {
      const inner = groups.pop();
      if (!inner) continue;
      const repeated = repeatsAt(pattern, i + 1);
      if (repeated && inner.repeats) return true;
      const outer = groups[groups.length - 1];
      if (outer && (repeated || inner.repeats)) outer.repeats = true;
    } else if (top && repeatsAt(pattern, i)) top.repeats = true;
  }
  return false;
}

/** Opens a log for an administrator's rule only while it resolves inside the allowed directories, never through a last-component symlink. */
function guardedOpen(allow: readonly string[]) {
  return async (path: string): Promise<FileHandle> => {
    const real = await allowedRealPath(path, allow);
    if (real === undefined) throw Object.assign(new Error(`${path} is outside the directories this node allows`), { code: 'EACCES' });
    return open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  };
}

/** Reads a value file for an administrator's rule, checked like guardedOpen. */
function guardedRead(allow: readonly string[]) {
  return async (path: string): Promise<string> => {
    const h = await guardedOpen(allow)(path);
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await h.read(buf, 0, buf.length, 0);
      return buf.toString('utf8', 0, bytesRead);
    } finally {
      await h.close();
    }
  };
}

/** Compiles an administrator's pattern, which refusal() saw compile, for the linear-time engine. */
function compileLinear(pattern: string): RegExp {
  const re = linearPattern(pattern);
  if (re instanceof Error) throw re;
  return re;
}

/** The reason an administrator may not define `rule` on this node, or undefined when it may. */
async function refusal(rule: ConditionRule, files: NodeConfig['files'], operatorNames: ReadonlySet<string>): Promise<string | undefined> {
  if (operatorNames.has(rule.name)) return 'the node operator has a rule of the same name';
  // Running a command the server names would hand every administrator a shell on the node.
  if (rule.kind === 'command') return 'command rules may be defined only by the node operator';
  const path = rule.kind === 'log' ? rule.path : 'file' in rule.source ? rule.source.file : undefined;
  if (path !== undefined) {
    // Watching a file the operator has not offered for pulling would make the rule an oracle on its contents.
    if (files.allow.length === 0) return `${path} is not in a directory this node allows ("burrow node files allow DIR")`;
    if ((await allowedRealPath(path, files.allow)) === undefined) return `${path} is not in a directory this node allows (${files.allow.join(', ')})`;
  }
  if (rule.kind === 'log' && nestedQuantifier(rule.pattern)) return 'the pattern repeats a group holding a quantifier or an alternation, which can take exponential time';
  // Even unnested, ".*.*x" backtracks for half a minute on one 4 KiB line: an administrator's pattern runs in linear time or not at all.
  if (rule.kind === 'log' && linearPattern(rule.pattern) instanceof Error) return 'the pattern uses backreferences or lookarounds, which cannot run in linear time';
  return undefined;
}

/**
 * Decides, on the node, which of the rules the server delivered an administrator may
 * define here: `log` and `value` rules on files inside the operator's `files allow`
 * directories (opened there again at each read, so a symlink swapped in later leads
 * nowhere) and `value` rules on the node's status; never `command` rules. What the server
 * checked does not matter: a compromised server gets no further than this.
 */
export async function admitAdminRules(raw: readonly unknown[], files: NodeConfig['files'], operatorRules: readonly ConditionRule[]): Promise<{ admitted: WatchedRule[]; refused: RefusedRule[] }> {
  const operatorNames = new Set(operatorRules.map((r) => r.name));
  const admitted: WatchedRule[] = [];
  const refused: RefusedRule[] = [];
  const seen = new Set<string>();
  for (const [i, item] of raw.entries()) {
    const parsed = conditionRuleSchema.safeParse(item);
    if (!parsed.success) {
      const o = (item ?? {}) as { name?: unknown; kind?: unknown };
      const name = typeof o.name === 'string' && /^[a-z0-9][a-z0-9_.-]{0,47}$/.test(o.name) ? o.name : `invalid-${i + 1}`;
      const kind = o.kind === 'log' || o.kind === 'command' || o.kind === 'value' ? o.kind : 'value';
      refused.push({ name, kind, reason: `not a valid rule: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      continue;
    }
    const rule = parsed.data;
    if (seen.has(rule.name)) continue;
    seen.add(rule.name);
    const why = await refusal(rule, files, operatorNames);
    if (why) refused.push({ name: rule.name, kind: rule.kind, reason: why });
    else admitted.push({ rule, origin: 'admin', files: { openLog: guardedOpen(files.allow), readValueFile: guardedRead(files.allow), compilePattern: compileLinear } });
  }
  return { admitted, refused };
}
