import { spawn } from 'node:child_process';
import type { Clock } from '../../shared/clock.js';

/** Bytes of a command's stdout kept; the rest is read and dropped, so a chatty command cannot fill memory. */
export const COMMAND_OUTPUT_MAX = 16 * 1024;

/** How a command run ended. */
export type CommandOutcome = { ok: true; exitCode: number; stdout: string } | { ok: false; error: string };

/**
 * Runs `argv` (no shell: argv[0] is the program, the rest its arguments) with its stdin
 * closed, keeps the first COMMAND_OUTPUT_MAX bytes of stdout, and kills the process group
 * when `timeoutMs` passes on `clock`.
 */
export function runCommand(argv: readonly string[], timeoutMs: number, clock: Clock): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const [file, ...args] = argv as [string, ...string[]];
    const child = spawn(file, args, { shell: false, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let out = '';
    let settled = false;
    const finish = (o: CommandOutcome) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      resolve(o);
    };
    const timer = clock.setTimeout(() => {
      // The whole group: a script's children must not outlive the check.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      finish({ ok: false, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      if (out.length < COMMAND_OUTPUT_MAX) out += c.toString('utf8', 0, Math.min(c.length, COMMAND_OUTPUT_MAX - out.length));
    });
    child.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: `cannot run ${file} (${err.code ?? err.message})` }));
    child.once('close', (code, signal) => {
      if (code === null) finish({ ok: false, error: `${file} was killed by ${signal ?? 'a signal'}` });
      else finish({ ok: true, exitCode: code, stdout: out });
    });
  });
}

/** The first number a command printed (e.g. "temp=48.5C" gives 48.5), if any. */
export function firstNumber(text: string): number | undefined {
  const m = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(text);
  if (!m) return undefined;
  const n = Number(m[0]);
  return Number.isFinite(n) ? n : undefined;
}
