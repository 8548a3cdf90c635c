import type { z } from 'zod';
import { BurrowError } from './errors.js';

/** Settings that came from the environment rather than the file, and the variable that set each. */
export interface ConfigOverrides {
  values: Readonly<Record<string, unknown>>;
  variables: Readonly<Record<string, string>>;
}

/** The value at `path` inside `raw`, or undefined where the path leads nowhere. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** One sentence on the first problem in a config file: which key, in which file, and what is wrong. */
export function configProblem(error: z.ZodError, raw: unknown, file: string): string {
  const issue = error.issues[0];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return `${file} does not hold a JSON object of settings.`;
  if (!issue) return `${file} is invalid.`;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0] ?? ''].join('.');
    return `${file} has an unknown key "${key}"; correct its spelling or remove it.`;
  }
  const key = path.join('.');
  if (valueAt(raw, issue.path) === undefined) return `${file} lacks the required key "${key}".`;
  return `${file} has an invalid "${key}": ${issue.message.replace(/\.$/, '')}.`;
}

/**
 * Checks a config file's JSON strictly against `schema`, then again with the environment's
 * overrides applied, so that a refusal names the file or the variable that is at fault.
 */
export function parseConfigFile<S extends z.ZodType>(schema: S, raw: unknown, file: string, overrides?: ConfigOverrides): z.output<S> {
  const own = schema.safeParse(raw);
  if (!own.success) throw new BurrowError('CONFIG_INVALID', configProblem(own.error, raw, file));
  if (!overrides || Object.keys(overrides.values).length === 0) return own.data;
  const merged = schema.safeParse({ ...(raw as object), ...overrides.values });
  if (merged.success) return merged.data;
  const issue = merged.error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const variable = overrides.variables[key];
  if (variable === undefined) throw new BurrowError('CONFIG_INVALID', configProblem(merged.error, raw, file));
  throw new BurrowError('CONFIG_INVALID', `The environment variable ${variable} is invalid for "${key}" in ${file}: ${(issue?.message ?? 'invalid').replace(/\.$/, '')}.`);
}
