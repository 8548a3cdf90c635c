import { BurrowError, toBurrowError } from '../shared/errors.js';

/** Prints one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned text table with a header. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

/** The exit status of a Unix tool killed by SIGPIPE (128 + 13), which Node ignores. */
const CLOSED_OUTPUT_EXIT = 141;

/**
 * Ends the process quietly once its reader has gone (`burrow admin audit | head`): the
 * write then fails with EPIPE, which Node would otherwise report as an unhandled error
 * with a stack trace. The status is the one a Unix tool stopped by SIGPIPE has, so a
 * supervisor still sees a daemon whose output went away as stopped, not as done.
 */
export function endQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(CLOSED_OUTPUT_EXIT);
    });
  }
}

/** Ends the process for an error: one plain sentence on stderr, the code's exit status. */
export function exitWithError(err: unknown): never {
  const e = toBurrowError(err);
  const message = e.code === 'INTERNAL' && !(err instanceof BurrowError) ? `unexpected error: ${e.message}` : e.message;
  process.stderr.write(`burrow: ${message}\n`);
  process.exit(e.exitCode);
}
