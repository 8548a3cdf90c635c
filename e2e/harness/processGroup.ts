import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { burrowBin } from './paths.js';

/** A long-running `burrow` process (server or agent) with its log file. */
export interface BurrowProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort if the runner exits without the after hooks (e.g. killed on timeout):
// a synchronous SIGKILL of every child still alive.
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts and stops the daemons of one test stack, and reads their logs. */
export class ProcessGroup {
  private readonly procs: BurrowProcess[] = [];

  /**
   * Spawns `burrow args…` with stdout and stderr appended to `logFile`; `maxOpenFiles`
   * runs it under `prlimit --nofile` (for fd-exhaustion tests); `env` is added to its environment.
   */
  spawn(name: string, args: string[], logFile: string, o: { maxOpenFiles?: number; env?: NodeJS.ProcessEnv } = {}): BurrowProcess {
    const fd = openSync(logFile, 'a');
    const argv = [burrowBin, ...args];
    const [cmd, ...rest] = o.maxOpenFiles ? ['prlimit', `--nofile=${o.maxOpenFiles}:${o.maxOpenFiles}`, '--', ...argv] : argv;
    const child = spawn(cmd as string, rest, { stdio: ['ignore', fd, fd], env: { ...process.env, BURROW_HOME: '', ...o.env } });
    closeSync(fd);
    live.add(child);
    const exited = once(child, 'exit').then(() => {
      live.delete(child);
    });
    const p = { name, child, logFile, exited };
    this.procs.push(p);
    return p;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it is gone. */
  async stop(p: BurrowProcess, graceMs = 3_000): Promise<void> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }

  /** SIGKILL at once, as a crash would; resolves once it is gone. */
  async kill(p: BurrowProcess): Promise<void> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGKILL');
    await p.exited;
  }

  /** Stops every process this group started, newest first. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].reverse().map((p) => this.stop(p)));
  }

  /** Everything a process has logged so far (stdout and stderr). */
  static logOf(p: BurrowProcess): string {
    try {
      return readFileSync(p.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last `lines` lines of each log, for a failing test's output. */
  logTails(lines = 30): string {
    const seen = new Set<string>();
    const parts: string[] = [];
    for (const p of this.procs) {
      if (seen.has(p.logFile)) continue;
      seen.add(p.logFile);
      let text: string;
      try {
        text = readFileSync(p.logFile, 'utf8');
      } catch {
        text = '(no log)';
      }
      parts.push(`--- ${p.name} (${p.logFile}) ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`);
    }
    return parts.join('\n');
  }
}
