import { z } from 'zod';
import { BurrowError } from './errors.js';
import { LABEL_KEY, LABEL_VALUE, readLabelSelector, type LabelRequirement } from './labelMatch.js';

export { matchesSelector, type LabelRequirement } from './labelMatch.js';

/** A label key: letters, digits and . _ / -, starting with a letter or digit. */
export const labelKeySchema = z.string().regex(LABEL_KEY, 'a label key is 1-63 of letters, digits and . _ / -, starting with a letter or digit');
/** A label value: letters, digits and . _ : / @ -, possibly empty. */
export const labelValueSchema = z.string().regex(LABEL_VALUE, 'a label value is up to 63 of letters, digits and . _ : / @ -');
/** A node's labels as the API carries them. */
export const labelsSchema = z.record(labelKeySchema, labelValueSchema).refine((l) => Object.keys(l).length <= 32, 'a node has at most 32 labels');

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

/** Parses a selector such as `site=paris,tier!=test` (see labelMatch.ts); throws VALIDATION on anything else. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const r = readLabelSelector(text);
  if ('problem' in r) throw new BurrowError('VALIDATION', r.problem);
  return r;
}
