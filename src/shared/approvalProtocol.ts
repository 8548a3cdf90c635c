import { z } from 'zod';

/*
 * Customer approval on site: the server asks the node, over the status channel, for a person
 * there to approve a session, a shell or a job; the node answers once someone decided. The
 * node admits a channel only under a grant it holds itself (see src/node/approvals/).
 */

/** C0 and C1 controls, DEL and bidirectional overrides: what could rewrite a terminal line or reorder its text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a person reads (in a terminal on site, in the requester's): the other end may be
 * hostile, so a control character is shown as its `\uXXXX` escape, never acted upon.
 */
export function readableText(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
const readable = (max: number) => z.string().max(max).transform(readableText);

/** The longest description of a request; a job that cannot be described in full is not asked for. */
export const APPROVAL_WHAT_MAX = 500;

/**
 * What a shell does, in words, as the person on site approves it: the node's shell runs
 * under that grant only the session so described (that command, or an interactive shell).
 */
export function shellApprovalWhat(command: string | undefined): string {
  return readableText(command !== undefined ? `run: ${command}` : 'an interactive shell');
}

/**
 * What a job does, in words, as the person on site approves it. The node describes the job it
 * receives the same way and runs it only if the two agree, so the server cannot have one
 * command approved and send another under the same job id.
 */
export function jobApprovalWhat(job: { kind: 'command' | 'push' | 'update'; command?: string | null | undefined; path?: string | null | undefined }): string {
  const text = job.kind === 'command' ? `run: ${job.command ?? ''}` : job.kind === 'push' ? `push a file to ${job.path ?? ''}` : `install an update (${job.path ?? ''}) with: ${job.command ?? ''}`;
  return readableText(text);
}

/** An approval request's id, made by the server; it names the grant a channel rides on. */
export const approvalIdSchema = z.string().regex(/^apr_[A-Za-z0-9_-]{8,40}$/, 'an approval id is apr_ and 8-40 letters, digits, _ or -');

/** What is to be approved: a WebUI or TCP session (many channels), one shell, one job. */
export const approvalKindSchema = z.enum(['session', 'shell', 'job']);
export type ApprovalKind = z.infer<typeof approvalKindSchema>;

/** The server's request, as the node shows it to the person on site. */
export const approvalRequestSchema = z.object({
  id: approvalIdSchema,
  kind: approvalKindSchema,
  /** The one service whose channels the grant admits (the session's service, `shell`, `jobs`). */
  service: z.string().min(1).max(32),
  /** The session id, the job id, or the terminal's id: what the grant is bound to. */
  subject: z.string().min(1).max(80),
  /** Who asks (the user's email). */
  user: readable(254),
  /** The requester's address. */
  from: readable(100),
  /** What will happen, in words (a job's command, the service of a session). */
  what: readable(APPROVAL_WHAT_MAX),
  /** The grant ends then at the latest (the session's absolute expiry). */
  validUntil: z.string().datetime(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/** How a request ended on site. */
export const approvalOutcomeSchema = z.enum(['approved', 'denied', 'timed-out']);
export type ApprovalOutcome = z.infer<typeof approvalOutcomeSchema>;

/** The node's answer, sent once a person decided (or the request timed out). */
export const approvalDecisionSchema = z.object({
  id: approvalIdSchema,
  outcome: approvalOutcomeSchema,
  /** Who decided on site (the local user), or `policy` / `timeout`. */
  by: readable(100),
  reason: readable(500),
});
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** The server withdraws a request (cancelled by the requester) or ends a grant (session closed). */
export const approvalWithdrawSchema = z.object({ id: approvalIdSchema, reason: readable(300) });
export type ApprovalWithdraw = z.infer<typeof approvalWithdrawSchema>;

/** What the server pushes to a node about approvals: a new request, or a withdrawal. */
export type ApprovalPush = { request: ApprovalRequest } | { withdraw: ApprovalWithdraw };

/**
 * A request for approval on site as consoles see it live (`approval.waiting`, then
 * `approval.decided` or `approval.withdrawn`), shown to whoever may see the node's group.
 */
export interface ApprovalNotice {
  id: string;
  nodeId: string;
  kind: ApprovalKind;
  /** The session id, job id or terminal id the request is for. */
  subject: string;
  /** Who asks (the user's email). */
  user: string;
  what: string;
  /** When the request was sent to the node. */
  since: string;
  /** How long the node lets it wait for a person. */
  timeoutMs: number;
  /** How it ended, once decided or withdrawn. */
  outcome?: ApprovalOutcome | 'withdrawn';
  by?: string;
  reason?: string;
}

/** The node's policy, in node.json and in its status reports. */
export const approvalPolicySchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** How long a request waits for a person before it is denied as timed out. */
  timeoutMs: z.number().int().min(1_000).max(86_400_000).default(300_000),
});
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;

/**
 * The forwarded-tcpip originator address of a channel opened under a grant: the approval id,
 * then the client's address. SSH gives a channel no other field the server fills in.
 */
export function approvalOrigin(id: string, ip: string): string {
  return `${id}@${ip}`;
}

/** The approval id a channel's originator address names, if any. */
export function approvalOfOrigin(originAddr: string): string | undefined {
  const at = originAddr.indexOf('@');
  if (at < 0) return undefined;
  const id = originAddr.slice(0, at);
  return approvalIdSchema.safeParse(id).success ? id : undefined;
}
