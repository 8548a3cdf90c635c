/*
 * Label selectors, read and matched. Free of imports so the console can share it; the
 * API and CLI use it through labelSelector.ts, which turns problems into BurrowErrors.
 */

/** A label key: letters, digits and . _ / -, starting with a letter or digit. */
export const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
/** A label value: up to 63 letters, digits and . _ : / @ -, possibly empty. */
export const LABEL_VALUE = /^[A-Za-z0-9._:/@-]{0,63}$/;

/** One requirement of a selector: the label `key` equals (or differs from) `value`. */
export interface LabelRequirement {
  key: string;
  op: '=' | '!=';
  value: string;
}

/**
 * Reads a selector such as `site=paris,tier!=test`: comma-separated requirements, each
 * `key=value` (the node has the label with that value) or `key!=value` (it does not), all
 * of which must hold. Returns the requirements, or one sentence saying what is wrong.
 */
export function readLabelSelector(text: string): LabelRequirement[] | { problem: string } {
  if (text.trim() === '') return { problem: 'The label selector is empty; give key=value or key!=value, separated by commas.' };
  const out: LabelRequirement[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = /^([^=!]+)(!=|=)(.*)$/.exec(part);
    const key = m ? (m[1] as string).trim() : '';
    const value = m ? (m[3] as string).trim() : '';
    if (!m || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) return { problem: `"${part}" in the label selector is not key=value or key!=value.` };
    out.push({ key, op: m[2] as '=' | '!=', value });
  }
  return out;
}

/** Whether labels satisfy every requirement (a missing label differs from any value). */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: readonly LabelRequirement[]): boolean {
  return selector.every((r) => (Object.hasOwn(labels, r.key) && labels[r.key] === r.value) === (r.op === '='));
}
