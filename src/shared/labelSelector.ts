import { z } from 'zod';
import { BurrowError } from './errors.js';

/** A label key: letters, digits and . _ / -, starting with a letter or digit. */
export const labelKeySchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'a label key is 1-63 of letters, digits and . _ / -, starting with a letter or digit');
/** A label value: letters, digits and . _ : / @ -, possibly empty. */
export const labelValueSchema = z.string().regex(/^[A-Za-z0-9._:/@-]{0,63}$/, 'a label value is up to 63 of letters, digits and . _ : / @ -');
/** A node's labels as the API carries them. */
export const labelsSchema = z.record(labelKeySchema, labelValueSchema).refine((l) => Object.keys(l).length <= 32, 'a node has at most 32 labels');

/** One requirement of a selector: the label `key` equals (or differs from) `value`. */
export interface LabelRequirement {
  key: string;
  op: '=' | '!=';
  value: string;
}

/** Parses one `key=value`; throws VALIDATION naming what is wrong. */
export function parseLabel(spec: string): [string, string] {
  const at = spec.indexOf('=');
  const key = at < 0 ? spec : spec.slice(0, at);
  const value = at < 0 ? undefined : spec.slice(at + 1);
  if (value === undefined || !labelKeySchema.safeParse(key).success || !labelValueSchema.safeParse(value).success) {
    throw new BurrowError('VALIDATION', `"${spec}" is not a label key=value (a key of letters, digits and . _ / -; a value of letters, digits and . _ : / @ -).`);
  }
  return [key, value];
}

/**
 * Parses a selector such as `site=paris,tier!=test`: comma-separated requirements, each
 * `key=value` (the node has the label with that value) or `key!=value` (it does not),
 * all of which must hold. Throws VALIDATION on anything else.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  if (text.trim() === '') throw new BurrowError('VALIDATION', 'The label selector is empty; give key=value or key!=value, separated by commas.');
  return text.split(',').map((raw) => {
    const part = raw.trim();
    const m = /^([^=!]+)(!=|=)(.*)$/.exec(part);
    const bad = () => new BurrowError('VALIDATION', `"${part}" in the label selector is not key=value or key!=value.`);
    if (!m) throw bad();
    const [key, value] = [(m[1] as string).trim(), (m[3] as string).trim()];
    if (!labelKeySchema.safeParse(key).success || !labelValueSchema.safeParse(value).success) throw bad();
    return { key, op: m[2] as '=' | '!=', value };
  });
}

/** Whether labels satisfy every requirement (a missing label differs from any value). */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: readonly LabelRequirement[]): boolean {
  return selector.every((r) => (Object.hasOwn(labels, r.key) && labels[r.key] === r.value) === (r.op === '='));
}
