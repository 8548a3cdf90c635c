import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line. */
const redactPaths = [
  'password', '*.password', 'token', '*.token', 'totp', '*.totp', 'secret', '*.secret',
  'privateKey', '*.privateKey', 'authorization', '*.authorization', 'req.headers.authorization',
  'req.headers.cookie',
];

/** The root logger: structured JSON on stderr so stdout stays for command output. */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', name: opts.name ?? 'burrow', redact: { paths: redactPaths, censor: '[redacted]' } },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for tests and quiet commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
