import { BurrowError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Reads a size such as 4096, 500K, 200M or 2G (binary units) into bytes. */
export function parseByteSize(text: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  const bytes = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new BurrowError('VALIDATION', `"${text}" is not a size; use bytes or a number with K, M or G, e.g. 200M.`);
  return bytes;
}

/** Bytes as a short human figure: 1.5 MiB. */
export function formatByteSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
