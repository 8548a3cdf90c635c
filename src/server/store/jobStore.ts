import type { JobTargetStatus } from '../../shared/protocol.js';
import type { Queryable } from './database.js';

/** A job as stored. */
export interface JobRecord {
  id: string;
  kind: 'command' | 'push' | 'update';
  command: string | null;
  path: string | null;
  mode: number | null;
  payload: Buffer | null;
  sha256: string | null;
  /** The signed manifest's text, as the signer made it. */
  manifest: string | null;
  /** base64 ed25519 signature over the manifest. */
  signature: string | null;
  timeoutMs: number;
  stopAfterFailures: number | null;
  createdBy: string | null;
  groupId: string;
  createdAt: number;
  expiresAt: number;
}

/** One node's part of a job. */
export interface JobTargetRecord {
  jobId: string;
  nodeId: string;
  status: JobTargetStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Since when the node's site is asked to approve the job (null when nobody is asked now). */
  approvalWaitingSince: number | null;
}

interface JobRow {
  id: string;
  kind: JobRecord['kind'];
  command: string | null;
  path: string | null;
  mode: number | null;
  payload: Buffer | null;
  sha256: string | null;
  manifest: string | null;
  signature: string | null;
  timeout_ms: number;
  stop_after_failures: number | null;
  created_by: string | null;
  group_id: string;
  created_at: number;
  expires_at: number;
}

interface TargetRow {
  job_id: string;
  node_id: string;
  status: JobTargetStatus;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  approval_waiting_since: number | null;
}

const toJob = (r: JobRow): JobRecord => ({
  id: r.id,
  kind: r.kind,
  command: r.command,
  path: r.path,
  mode: r.mode,
  payload: r.payload,
  sha256: r.sha256,
  manifest: r.manifest,
  signature: r.signature,
  timeoutMs: r.timeout_ms,
  stopAfterFailures: r.stop_after_failures,
  createdBy: r.created_by,
  groupId: r.group_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

const toTarget = (r: TargetRow): JobTargetRecord => ({
  jobId: r.job_id,
  nodeId: r.node_id,
  status: r.status,
  exitCode: r.exit_code,
  stdout: r.stdout,
  stderr: r.stderr,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  approvalWaitingSince: r.approval_waiting_since,
});

/** Queues a job for each of `nodeIds`. */
export async function insertJob(q: Queryable, j: JobRecord, nodeIds: readonly string[]): Promise<void> {
  await q.run(
    'INSERT INTO jobs (id, kind, command, path, mode, payload, sha256, manifest, signature, timeout_ms, stop_after_failures, created_by, group_id, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
    [j.id, j.kind, j.command, j.path, j.mode, j.payload, j.sha256, j.manifest, j.signature, j.timeoutMs, j.stopAfterFailures, j.createdBy, j.groupId, j.createdAt, j.expiresAt],
  );
  for (const nodeId of nodeIds) await q.run("INSERT INTO job_targets (job_id, node_id, status) VALUES (?, ?, 'pending')", [j.id, nodeId]);
}

/** One job by id. */
export async function getJob(q: Queryable, id: string): Promise<JobRecord | undefined> {
  const r = await q.get<JobRow>('SELECT * FROM jobs WHERE id = ?', [id]);
  return r && toJob(r);
}

/** Jobs, newest first, without their payloads. */
export async function listJobs(q: Queryable, limit = 200): Promise<JobRecord[]> {
  return (await q.all<JobRow>('SELECT id, kind, command, path, mode, NULL AS payload, sha256, manifest, signature, timeout_ms, stop_after_failures, created_by, group_id, created_at, expires_at FROM jobs ORDER BY created_at DESC, id LIMIT ?', [limit])).map(toJob);
}

/** Every node's part of a job. */
export async function listTargets(q: Queryable, jobId: string): Promise<JobTargetRecord[]> {
  return (await q.all<TargetRow>('SELECT * FROM job_targets WHERE job_id = ? ORDER BY node_id', [jobId])).map(toTarget);
}

/** A target's node and status, and whether it waits for approval on site (the jobs page shows them per row). */
export interface JobTargetBrief {
  nodeId: string;
  status: JobTargetStatus;
  approvalWaitingSince: number | null;
}

/** Each listed job's targets, node and status only (the jobs page shows them per row). */
export async function targetStatusesOf(q: Queryable, jobIds: readonly string[]): Promise<Map<string, JobTargetBrief[]>> {
  const byJob = new Map<string, JobTargetBrief[]>(jobIds.map((id) => [id, []]));
  if (jobIds.length === 0) return byJob;
  const rows = await q.all<{ job_id: string; node_id: string; status: JobTargetStatus; approval_waiting_since: number | null }>(
    `SELECT job_id, node_id, status, approval_waiting_since FROM job_targets WHERE job_id IN (${jobIds.map(() => '?').join(',')}) ORDER BY node_id`,
    [...jobIds],
  );
  for (const r of rows) byJob.get(r.job_id)?.push({ nodeId: r.node_id, status: r.status, approvalWaitingSince: r.approval_waiting_since });
  return byJob;
}

/** The oldest job still pending for a node, if any. */
export async function nextPendingJob(q: Queryable, nodeId: string): Promise<JobRecord | undefined> {
  const r = await q.get<JobRow>(
    "SELECT j.* FROM jobs j JOIN job_targets t ON t.job_id = j.id WHERE t.node_id = ? AND t.status = 'pending' ORDER BY j.created_at, j.id LIMIT 1",
    [nodeId],
  );
  return r && toJob(r);
}

/** The nodes of a job whose part is still pending. */
export async function pendingTargetsOf(q: Queryable, jobId: string): Promise<string[]> {
  return (await q.all<{ node_id: string }>("SELECT node_id FROM job_targets WHERE job_id = ? AND status = 'pending' ORDER BY node_id", [jobId])).map((r) => r.node_id);
}

/** Every node with some job part still pending. */
export async function nodesWithPendingJobs(q: Queryable): Promise<string[]> {
  return (await q.all<{ node_id: string }>("SELECT DISTINCT node_id FROM job_targets WHERE status = 'pending' ORDER BY node_id")).map((r) => r.node_id);
}

/**
 * Moves a pending target to `running` on instance `instanceId`; false when someone else took
 * it first. One conditional UPDATE, so of two instances (or two drains) racing, exactly one wins.
 */
export async function claimTarget(q: Queryable, jobId: string, nodeId: string, now: number, instanceId: string): Promise<boolean> {
  const r = await q.run("UPDATE job_targets SET status = 'running', started_at = ?, instance_id = ? WHERE job_id = ? AND node_id = ? AND status = 'pending'", [now, instanceId, jobId, nodeId]);
  return r.changes === 1;
}

/** Records how a node's part of a job ended. */
export async function finishTarget(
  q: Queryable,
  jobId: string,
  nodeId: string,
  r: { status: JobTargetStatus; exitCode: number | null; stdout: string; stderr: string; error: string | null },
  now: number,
): Promise<void> {
  await q.run('UPDATE job_targets SET status = ?, exit_code = ?, stdout = ?, stderr = ?, error = ?, finished_at = ?, approval_waiting_since = NULL WHERE job_id = ? AND node_id = ?', [
    r.status,
    r.exitCode,
    r.stdout,
    r.stderr,
    r.error,
    now,
    jobId,
    nodeId,
  ]);
}

/** How many of a job's targets failed. */
export async function countFailed(q: Queryable, jobId: string): Promise<number> {
  return ((await q.get<{ n: number }>("SELECT COUNT(*) AS n FROM job_targets WHERE job_id = ? AND status = 'failed'", [jobId])) as { n: number }).n;
}

/** Ends every still-pending target of a job with `status`; returns how many. */
export async function closePending(q: Queryable, jobId: string, status: 'cancelled' | 'expired', error: string, now: number): Promise<number> {
  const r = await q.run("UPDATE job_targets SET status = ?, error = ?, finished_at = ? WHERE job_id = ? AND status = 'pending'", [status, error, now, jobId]);
  return r.changes;
}

/** The error a target already claimed carries once its job is cancelled (see askCancelRunning). */
export const CANCEL_ASKED = 'cancelled by an operator';

/**
 * Marks the targets of a job that are already claimed (running) as cancelled-on-request: a
 * command already delivered runs to its end, but one still waiting for approval on site
 * is never delivered (the dispatcher checks cancelAsked once the approval comes).
 */
export async function askCancelRunning(q: Queryable, jobId: string): Promise<number> {
  const r = await q.run("UPDATE job_targets SET error = ? WHERE job_id = ? AND status = 'running' AND error IS NULL", [CANCEL_ASKED, jobId]);
  return r.changes;
}

/**
 * Ends at once, as cancelled, the targets of a job that wait for approval on site; the
 * dispatcher holding each withdraws its request from the node (`job.cancelled`). Returns how many.
 */
export async function cancelWaitingApproval(q: Queryable, jobId: string, now: number): Promise<number> {
  const r = await q.run(
    "UPDATE job_targets SET status = 'cancelled', error = ?, finished_at = ?, approval_waiting_since = NULL WHERE job_id = ? AND status = 'running' AND approval_waiting_since IS NOT NULL",
    [`${CANCEL_ASKED} while it waited for approval on site`, now, jobId],
  );
  return r.changes;
}

/** Records that the node's site is asked to approve its part of a job; false when it is no longer running (cancelled meanwhile). */
export async function markWaitingApproval(q: Queryable, jobId: string, nodeId: string, now: number): Promise<boolean> {
  const r = await q.run("UPDATE job_targets SET approval_waiting_since = ? WHERE job_id = ? AND node_id = ? AND status = 'running' AND error IS NULL", [now, jobId, nodeId]);
  return r.changes === 1;
}

/**
 * Ends the wait for approval of the node's part of a job, once approved: true when it may be
 * delivered, false when it was cancelled meanwhile. One conditional UPDATE, so of this and a
 * cancel racing, exactly one wins.
 */
export async function approvalReceived(q: Queryable, jobId: string, nodeId: string): Promise<boolean> {
  const r = await q.run("UPDATE job_targets SET approval_waiting_since = NULL WHERE job_id = ? AND node_id = ? AND status = 'running' AND error IS NULL", [jobId, nodeId]);
  return r.changes === 1;
}

/** Whether the job was cancelled after the node's target was claimed. */
export async function cancelAsked(q: Queryable, jobId: string, nodeId: string): Promise<boolean> {
  const row = await q.get<{ status: JobTargetStatus; error: string | null }>('SELECT status, error FROM job_targets WHERE job_id = ? AND node_id = ?', [jobId, nodeId]);
  return row?.status === 'cancelled' || (row?.status === 'running' && row.error === CANCEL_ASKED);
}

/** Jobs past their expiry that still have pending targets. */
export async function jobsToExpire(q: Queryable, now: number): Promise<{ id: string; groupId: string }[]> {
  return q.all<{ id: string; groupId: string }>(
    // "groupId" quoted: PostgreSQL folds unquoted names to lower case.
    `SELECT DISTINCT j.id AS id, j.group_id AS "groupId" FROM jobs j JOIN job_targets t ON t.job_id = j.id WHERE t.status = 'pending' AND j.expires_at <= ?`,
    [now],
  );
}

/**
 * Marks targets the previous run of instance `instanceId` left `running` as failed (their
 * result is lost); other instances' deliveries go on. Targets claimed before instances were
 * recorded (no instance) came from the single server there was.
 */
export async function failOrphanTargets(q: Queryable, now: number, instanceId: string): Promise<number> {
  const r = await q.run("UPDATE job_targets SET status = 'failed', error = 'the server restarted while the job ran', finished_at = ? WHERE status = 'running' AND (instance_id = ? OR instance_id IS NULL)", [now, instanceId]);
  return r.changes;
}

/** Fails the targets an instance declared dead was running; returns how many. */
export async function failInstanceTargets(q: Queryable, now: number, instanceId: string): Promise<number> {
  const r = await q.run("UPDATE job_targets SET status = 'failed', error = 'the server instance running the job was lost', finished_at = ? WHERE status = 'running' AND instance_id = ?", [now, instanceId]);
  return r.changes;
}
