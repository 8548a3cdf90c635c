import type { Clock } from '../../shared/clock.js';
import { JOBS_SERVICE, jobResultSchema, type JobResult, type JobWire } from '../../shared/protocol.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import type { JobRecord } from '../store/jobStore.js';

/** The node must answer within the job's timeout plus this. */
const ANSWER_GRACE_MS = 15_000;
const MAX_ANSWER = 1024 * 1024;

/**
 * Sends one job over a fresh `jobs` channel: a JSON header line, then the payload bytes.
 * The node answers with one JSON line and closes. Anything else (channel refused, link
 * lost, no answer in time, garbage) is a failed result, never an exception.
 */
export async function deliverJob(conn: Pick<NodeConnection, 'openService'>, job: JobRecord, clock: Clock, approval?: string): Promise<JobResult> {
  const failed = (error: string): JobResult => ({ ok: false, exitCode: null, stdout: '', stderr: '', error });
  let channel;
  try {
    channel = await conn.openService(JOBS_SERVICE, { ip: '127.0.0.1', port: 0, ...(approval ? { approval } : {}) });
  } catch (err) {
    return failed(`the node refused the job channel: ${(err as Error).message}`);
  }
  const payload = job.payload ?? Buffer.alloc(0);
  const header: JobWire = {
    id: job.id,
    kind: job.kind,
    ...(job.command !== null ? { command: job.command } : {}),
    ...(job.path !== null ? { path: job.path } : {}),
    ...(job.mode !== null ? { mode: job.mode } : {}),
    size: payload.length,
    ...(job.sha256 !== null ? { sha256: job.sha256 } : {}),
    ...(job.manifest !== null && job.signature !== null ? { manifest: job.manifest, signature: job.signature } : {}),
    timeoutMs: job.timeoutMs,
  };
  return new Promise<JobResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (r: JobResult) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      channel.destroy();
      resolve(r);
    };
    const timer = clock.setTimeout(() => settle(failed('the node did not answer in time')), job.timeoutMs + ANSWER_GRACE_MS);
    channel.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_ANSWER) return settle(failed('the node answered with too much data'));
      chunks.push(d);
    });
    channel.on('error', () => undefined);
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return settle(failed('the link to the node was lost during the job'));
      try {
        const parsed = jobResultSchema.safeParse(JSON.parse(text));
        settle(parsed.success ? parsed.data : failed('the node answered with an invalid result'));
      } catch {
        settle(failed('the node answered with an invalid result'));
      }
    };
    channel.once('end', onEnd);
    channel.once('close', onEnd);
    channel.write(`${JSON.stringify(header)}\n`);
    channel.write(payload);
  });
}
