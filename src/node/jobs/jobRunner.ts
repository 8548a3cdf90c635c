import { APPROVAL_WHAT_MAX, jobApprovalWhat } from '../../shared/approvalProtocol.js';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../shared/log.js';
import { JOB_OUTPUT_LIMIT, type JobResult, type JobWire } from '../../shared/protocol.js';
import { readJob } from './jobReader.js';
import { checkSignature, type SigningRules } from './signaturePolicy.js';
import type { UsedManifests } from './usedManifests.js';
import { payloadProblem, SETID_BITS } from './verifyPayload.js';

/** What the job runner needs. */
export interface JobRunnerDeps {
  /** The update key and which jobs it must have signed, as the operator set them. */
  signing: SigningRules;
  /** Signed manifests already run here, so a replay is refused. */
  usedManifests: UsedManifests;
  /** The time a manifest's expiry is checked against. */
  now: () => number;
  /** The environment commands start from (the agent's own). */
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
}

/** Appends to a bounded buffer; past the limit only a marker is kept. */
class Bounded {
  private parts: Buffer[] = [];
  private size = 0;
  private cut = false;
  add(d: Buffer): void {
    const room = JOB_OUTPUT_LIMIT - this.size;
    if (room <= 0) {
      this.cut = true;
      return;
    }
    this.parts.push(d.subarray(0, room));
    this.size += Math.min(room, d.length);
    if (d.length > room) this.cut = true;
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8') + (this.cut ? '\n[output truncated]\n' : '');
  }
}

/**
 * Serves one `jobs` channel: reads the job, checks its file, then runs the command, writes
 * the pushed file, or stores the update and runs its install command, within the job's
 * timeout, and answers with one JSON line.
 */
export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  /**
   * Handles a channel opened to the `jobs` service; `approvedJob` is the job id approved on
   * site and `approvedWhat` the description the person approved, if approval is on.
   */
  handle(channel: Duplex, approvedJob?: string, approvedWhat?: string): void {
    channel.on('error', () => undefined);
    void this.serve(channel, approvedJob, approvedWhat).then(
      (r) => channel.end(`${JSON.stringify(r)}\n`),
      (err: Error) => channel.end(`${JSON.stringify(failed(err.message))}\n`),
    );
  }

  private async serve(channel: Duplex, approvedJob: string | undefined, approvedWhat: string | undefined): Promise<JobResult> {
    const { header, payload } = await readJob(channel);
    const log = this.deps.log.child({ jobId: header.id, kind: header.kind });
    const refuse = (problem: string) => {
      log.warn({ problem }, 'job refused');
      return failed(problem);
    };
    // A grant is for one job: the server cannot send another job on a channel approved for this one.
    if (approvedJob !== undefined && approvedJob !== header.id) return refuse(`the approval on site was for job ${approvedJob}, not ${header.id}`);
    // Nor another command, file or install command under the approved id than the one the person was shown.
    if (approvedWhat !== undefined) {
      const what = jobApprovalWhat(header);
      if (what.length > APPROVAL_WHAT_MAX) return refuse('the job is too long to be shown in full to the person on site');
      if (what !== approvedWhat) return refuse(`what was approved on site was "${approvedWhat}", not "${what}"`);
    }
    const problem = payloadProblem(header, payload);
    if (problem) return refuse(problem);
    const now = this.deps.now();
    const verdict = checkSignature(header, this.deps.signing, now);
    if ('problem' in verdict) return refuse(verdict.problem);
    if (verdict.manifest && !(await this.deps.usedManifests.claim(verdict.manifest.nonce, verdict.manifest.expiresAt, now))) {
      return refuse(`the signed manifest ${verdict.manifest.nonce} was already used on this node; refusing a replay`);
    }
    log.info('job start');
    if (header.kind === 'command') return run(header.command ?? 'true', header.timeoutMs, this.deps.env);
    if (header.kind === 'push') return push(header, payload);
    const dir = await mkdtemp(join(tmpdir(), 'burrow-update-'));
    try {
      const file = join(dir, basename(header.path ?? 'update.bin'));
      await writeFile(file, payload, { mode: 0o700 });
      return await run(header.command ?? 'true', header.timeoutMs, { ...this.deps.env, BURROW_UPDATE_FILE: file }, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const failed = (error: string): JobResult => ({ ok: false, exitCode: null, stdout: '', stderr: '', error });

/** Writes a pushed file atomically with its mode; the target was checked on the server and is checked again here. */
async function push(header: JobWire, payload: Buffer): Promise<JobResult> {
  const path = header.path ?? '';
  if (!path.startsWith('/') || path.split('/').includes('..')) return failed(`refusing the target path "${path}": it must be absolute, without .. components`);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.burrow-tmp`);
  try {
    // payloadProblem refused setuid/setgid already; masking them here keeps it so if that ever changes.
    const mode = (header.mode ?? 0o644) & ~SETID_BITS;
    await writeFile(tmp, payload, { mode });
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    return failed(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { ok: true, exitCode: 0, stdout: '', stderr: '', error: null };
}

/** Runs a command with sh, killing it (and its children) at the timeout; output is bounded. */
function run(command: string, timeoutMs: number, env: Readonly<Record<string, string | undefined>>, cwd = '/'): Promise<JobResult> {
  return new Promise((resolve) => {
    const out = new Bounded();
    const err = new Bounded();
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.add(d));
    child.stderr.on('data', (d: Buffer) => err.add(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(failed(`cannot start /bin/sh: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const error = timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : code === 0 ? null : `exited with ${code}`;
      resolve({ ok: code === 0 && !timedOut, exitCode: code, stdout: out.text(), stderr: err.text(), error });
    });
  });
}
