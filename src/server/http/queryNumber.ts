import { BurrowError } from '../../shared/errors.js';

/**
 * A whole-number query parameter (`?limit=50`): undefined when absent or empty, clamped
 * to `max`, and a VALIDATION error (400) when it is anything but digits or below `min`,
 * so that `--limit abc` is refused rather than quietly read as the default.
 */
export function queryNumber(query: Record<string, string | string[] | undefined>, name: string, o: { min?: number; max?: number } = {}): number | undefined {
  const raw = query[name];
  if (raw === undefined || raw === '') return undefined;
  const min = o.min ?? 0;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw) || Number(raw) < min) {
    throw new BurrowError('VALIDATION', `${name} must be a whole number of at least ${min}, given once.`);
  }
  return Math.min(Number(raw), o.max ?? Number.MAX_SAFE_INTEGER);
}
