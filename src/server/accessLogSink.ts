import { pino } from 'pino';
import type { Logger } from '../shared/log.js';

/** The access log's logger, and how to flush and close where it writes. */
export interface AccessLogSink {
  log?: Logger;
  close(): void;
}

/**
 * Opens the access log where the config says: JSON lines on stdout (the server's own log
 * stays on stderr), appended to a file private to the server's user, or nowhere.
 */
export function openAccessLog(where: 'stdout' | 'file' | 'off', file: string): AccessLogSink {
  if (where === 'off') return { close: () => undefined };
  // Synchronous writes: a line is on disk (or the pipe) when the request is done, even if
  // the process dies next; a line is a few hundred bytes.
  const dest = where === 'file' ? pino.destination({ dest: file, sync: true, mode: 0o600 }) : pino.destination({ fd: 1, sync: true });
  return {
    log: pino({ name: 'burrow-access', base: undefined }, dest),
    close: () => {
      if (where === 'file') dest.end();
    },
  };
}
