import type { JobTargetStatus } from '../../shared/protocol.js';

/** How one node's part of a job stands: the server's own type. */
export type TargetStatus = JobTargetStatus;

/** A job as GET /v1/jobs lists it: who made it and how each node is doing. */
export interface JobListing {
  id: string;
  kind: 'command' | 'push' | 'update';
  command: string | null;
  path: string | null;
  signed: boolean;
  group: string;
  createdBy: string | null;
  /** The creator's email; null once the account is gone. */
  creator: string | null;
  createdAt: string;
  expiresAt: string;
  targets: { nodeId: string; name: string | null; status: TargetStatus; approvalWaitingSince?: string | null }[];
}

/** One node's part of a job as GET /v1/jobs/:id shows it, with its output. */
export interface JobTarget {
  nodeId: string;
  name: string | null;
  status: TargetStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Since when the node's site is asked to approve the job (status `running` meanwhile). */
  approvalWaitingSince: string | null;
}

/** A job with every node's result. */
export type JobDetail = Omit<JobListing, 'targets'> & { targets: JobTarget[]; timeoutMs: number; sha256: string | null };

/** Whether a node's part of the job may still change. */
export const isUnderway = (s: TargetStatus) => s === 'pending' || s === 'running';

/** What a job does, in a few words. */
export function jobSummary(j: Pick<JobListing, 'kind' | 'command' | 'path'>): string {
  if (j.kind === 'push') return `push ${j.path ?? ''}`;
  if (j.kind === 'update') return `update ${j.path ?? ''}: ${j.command ?? ''}`;
  return j.command ?? '';
}
