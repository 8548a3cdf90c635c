import { execFile } from 'node:child_process';
import { burrowBin } from './paths.js';

/** What one `burrow` command did. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How one `burrow` command runs. */
export interface CliOptions {
  /** Kills it after this long (30 s unless told; 0: no bound). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed (otherwise stdin stays open and empty). */
  input?: string;
  /** The directory it runs in (this process's unless told). */
  cwd?: string;
}

/** Runs `burrow args…` to completion (bounded), as a user would from a shell. */
export function runBurrow(args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      burrowBin,
      args,
      { timeout: o.timeoutMs ?? 30_000, cwd: o.cwd, env: { ...process.env, BURROW_HOME: '', ...o.env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // execFile puts the exit status in err.code (a number), or an errno string when spawning failed.
        const e = err as { code?: unknown; killed?: boolean; message: string } | null;
        if (e && typeof e.code !== 'number') {
          reject(new Error(`burrow ${args.join(' ')}: ${e.killed ? 'timed out' : e.message}\n${stderr}`));
          return;
        }
        resolve({ code: e ? (e.code as number) : 0, stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** A warning Node printed (deprecation, experimental feature): a user should never see one. */
const NODE_WARNING = /^\(node:\d+\) (\[\w+\] )?\w*Warning/m;

/** Runs `burrow args…` and fails unless it exits 0 without a Node warning on stderr. */
export async function burrowOk(args: string[]): Promise<string> {
  const r = await runBurrow(args);
  if (r.code !== 0) throw new Error(`burrow ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  if (NODE_WARNING.test(r.stderr)) throw new Error(`burrow ${args.join(' ')} printed a Node warning: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs a `burrow … --json` command and parses its one JSON document. */
export async function burrowJson<T>(args: string[]): Promise<T> {
  const out = await burrowOk([...args, '--json']);
  return JSON.parse(out) as T;
}
