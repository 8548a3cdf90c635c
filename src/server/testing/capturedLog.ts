import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../shared/log.js';

/** A logger for tests whose lines are kept, parsed, in order. */
export interface CapturedLog {
  log: Logger;
  lines: Record<string, unknown>[];
  /** Resolves once the first line is written. */
  written: Promise<void>;
}

/** A pino logger at `level` that keeps each JSON line it writes in `lines`. */
export function capturedLog(level = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  let wrote!: () => void;
  const written = new Promise<void>((resolve) => {
    wrote = resolve;
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      wrote();
      done();
    },
  });
  return { log: pino({ level }, sink), lines, written };
}
