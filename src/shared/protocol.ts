import { z } from 'zod';
import { MANIFEST_LIMIT } from './jobManifest.js';
import { conditionStatesSchema } from './conditions.js';
import { approvalDecisionSchema, approvalPolicySchema, approvalRequestSchema, approvalWithdrawSchema } from './approvalProtocol.js';
import { budgetNoticeSchema, nodeTrafficSchema } from './dataBudget.js';

/** HTTP path the agent upgrades to a WebSocket that carries its SSH connection. */
export const TUNNEL_PATH = '/v1/tunnel';

/**
 * The nominal port in each `tcpip-forward` request. A service is named by the bind
 * address (e.g. `webui`), so the port carries no meaning; it is fixed so both ends agree.
 */
export const SERVICE_PORT = 1;

/** What a node may call a service: short, lowercase, safe in URLs and logs. */
export const serviceNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a service name is 1-32 of a-z, 0-9 and -, starting with a letter');

/**
 * The forwarded-tcpip address of the status channel the server opens at each connection.
 * The `@` keeps it out of the service-name space, so no service can shadow it.
 */
export const STATUS_CHANNEL = 'status@burrow';

/** Largest line either end writes on the status channel; longer ones end the channel. */
export const STATUS_LINE_MAX = 64 * 1024;

/** An on-demand schedule: windows like "Mon-Fri 09:00-18:00" in an IANA zone. */
export const onDemandScheduleSchema = z.object({
  windows: z.array(z.string().max(64)).min(1).max(32),
  timeZone: z.string().max(64),
  intervalMs: z.number().int().positive(),
  durationMs: z.number().int().positive(),
});
export type OnDemandSchedule = z.infer<typeof onDemandScheduleSchema>;

/** A mode as node.json stores it and the server proposes it. */
export const connectModeSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('always-on') }),
  z.object({ mode: z.literal('on-demand'), schedule: onDemandScheduleSchema }),
]);
export type ConnectModeSpec = z.infer<typeof connectModeSchema>;

/** A node's health, as it reports it over the status channel. */
export const nodeStatusReportSchema = z.object({
  uptimeSeconds: z.number().nonnegative(),
  load: z.array(z.number()).max(3),
  memory: z.object({ totalBytes: z.number().nonnegative(), freeBytes: z.number().nonnegative() }),
  disk: z.object({ path: z.string().max(512), totalBytes: z.number().nonnegative(), freeBytes: z.number().nonnegative() }).nullable(),
  agentVersion: z.string().max(40),
  services: z.record(serviceNameSchema, z.object({ reachable: z.boolean(), error: z.string().max(200).optional() })),
  mode: z.enum(['always-on', 'on-demand']),
  nextCheckInAt: z.string().datetime().nullable(),
  /** The states of the node's condition rules (src/node/conditions/), when it has any. */
  conditions: conditionStatesSchema.optional(),
  /** Whether a person on site must approve sessions, shells and jobs (absent from older agents). */
  approval: approvalPolicySchema.optional(),
  /** The node's own count of its tunnel's bytes this month (agents that count send it). */
  traffic: nodeTrafficSchema.optional(),
});
export type NodeStatusReport = z.infer<typeof nodeStatusReportSchema>;

/** One line from the agent: a status report, or only "do you hold work for me?". */
export const statusLineSchema = z.union([
  z.object({ report: nodeStatusReportSchema }),
  z.object({ poll: z.literal(true) }),
  /** Key rotation: the node's next public key, registered over the authenticated tunnel. */
  z.object({ rotateKey: z.object({ publicKey: z.string().startsWith('ssh-ed25519 ').max(200) }) }),
  /** The node's answer to a service change the server pushed: applied, or refused and why. */
  z.object({ serviceResult: z.object({ id: z.string().max(40), applied: z.boolean(), refused: z.string().max(500).optional() }) }),
  /** Condition states, sent the moment one changes (not only with the next report). */
  z.object({ conditions: conditionStatesSchema }),
  /** A person on site decided an approval request (or it timed out). */
  z.object({ approvalDecision: approvalDecisionSchema }),
]);
export type StatusLine = z.infer<typeof statusLineSchema>;

/** A change to a node's services: targets as `[scheme://]host:port`, checked where they are used. */
export const serviceChangeSchema = z.object({
  set: z.record(serviceNameSchema, z.string().min(1).max(300)).refine((s) => Object.keys(s).length <= 32, 'at most 32 services').default({}),
  remove: z.array(serviceNameSchema).max(32).default([]),
});
export type ServiceChange = z.infer<typeof serviceChangeSchema>;

/** The server's answer to each line. */
export const statusReplySchema = z.object({
  /** An open or queued session (or, later, a job) waits for this node: stay connected. */
  holdsWork: z.boolean(),
  /** A mode proposed from the API; applied unless the operator locked the mode. */
  proposedMode: connectModeSchema.nullable(),
  /** Echoes a public key the server registered as the node's next key. */
  keyRegistered: z.string().optional(),
  /** Why the server did not register the next key (e.g. the node rotated too recently). */
  keyRefused: z.string().max(300).optional(),
  /** An administrator asks the node to rotate its key now (sent unasked, between replies). */
  rotateKeyNow: z.literal(true).optional(),
  /**
   * Pins of the server's TLS certificate in service. Told over SSH (authenticated by the host
   * key pinned at enrollment), they let a node follow a certificate renewed with a new key.
   */
  tlsPins: z.array(z.string().regex(/^sha256\/[A-Za-z0-9_-]{43}$/)).max(8).optional(),
  /**
   * An administrator edits the node's services (sent unasked, between replies): set name ->
   * target, remove names. The node applies it only within what its operator allowed.
   */
  serviceChange: serviceChangeSchema.extend({ id: z.string().max(40) }).optional(),
  /**
   * The condition rules administrators defined for the node, whole (replacing the last set),
   * sent when this connection has not yet seen them. The node accepts only what its own
   * policy allows an administrator (src/node/conditions/adminConditionPolicy.ts); each rule
   * is checked there, so one the node cannot parse is refused alone, not the whole reply.
   */
  conditionRules: z.array(z.unknown()).max(32).optional(),
  /** A session, shell or job waits for a person on site to approve it (sent unasked). */
  approvalRequest: approvalRequestSchema.optional(),
  /** A request the requester withdrew, or a grant whose session ended (sent unasked). */
  approvalWithdraw: approvalWithdrawSchema.optional(),
  /** The node's data budget and the server's count, when an administrator set one. */
  dataBudget: budgetNoticeSchema.optional(),
});
export type StatusReply = z.infer<typeof statusReplySchema>;

/** A node's display name. */
export const nodeNameSchema = z.string().trim().min(1).max(64).regex(/^[\w.@-]+$/, 'a node name is letters, digits and . _ @ -');

/** Every API error body. */
export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A node as the API lists it. */
export interface NodeView {
  id: string;
  name: string;
  group: string;
  status: 'pending' | 'approved' | 'revoked';
  mode: 'always-on' | 'on-demand';
  online: boolean;
  lastSeen: string | null;
  /** When an on-demand node said it will connect next; null for always-on nodes. */
  nextCheckIn: string | null;
  services: string[];
  /** Of those, the ones the node declared as plain TCP (tcp://), used through `burrow tcp`; present when there are any. */
  tcpServices?: string[];
  agentVersion: string | null;
  /** Labels (key=value) set by administrators or at enrollment. */
  labels: Record<string, string>;
  /** Imported from a CSV file, its agent has not enrolled yet; present only then. */
  awaitingEnrollment?: true;
}

/** `http`: a browser session through the HTTPS proxy; `tcp`: a TCP relay used through `burrow tcp` (or bare, guarded by source address). */
export const sessionTypeSchema = z.enum(['http', 'tcp']);
export type SessionType = z.infer<typeof sessionTypeSchema>;
/** A session asked for while its on-demand node was away. */
export interface SessionRequestView {
  id: string;
  nodeId: string;
  service: string;
  state: 'queued' | 'opened' | 'cancelled' | 'expired' | 'failed';
  requestedAt: string;
  /** When the node is expected to check in (null: unknown); shown while queued. */
  expectedAt: string | null;
  expiresAt: string;
  /** The session once opened. */
  session: SessionView | null;
  reason: string | null;
}

/** GET /v1/nodes/:id/status: liveness and the latest and recent health reports. */
export interface NodeStatusView {
  nodeId: string;
  online: boolean;
  lastSeen: string | null;
  nextCheckIn: string | null;
  mode: 'always-on' | 'on-demand';
  proposedMode: ConnectModeSpec | null;
  latest: (NodeStatusReport & { at: string }) | null;
  history: (NodeStatusReport & { at: string })[];
}

/** A WebUI session as the API shows it. */
export interface SessionView {
  id: string;
  nodeId: string;
  service: string;
  /** Known while the session is open (kept in memory, like its token and cookie hashes). */
  type?: SessionType;
  port: number;
  /** For an `http` session just opened, carries the one-time token; `tcp+tls://host:port` for `tcp` (`tcp://` when bare). */
  url: string;
  /** A tcp session guarded by source address alone (asked for with --bare). */
  bare?: true;
  state: 'open' | 'closed';
  openedAt: string;
  expiresAt: string;
  closedAt: string | null;
  closeReason: string | null;
  /** In session lists: the node's name and the email of the user who opened it. */
  node?: string;
  user?: string | null;
}

export { BUILTIN_SERVICES, JOBS_SERVICE, SHELL_SERVICE } from './internalServices.js';

/** The upgrade path of a node's terminal WebSocket: /v1/nodes/:id/shell. */
export const SHELL_PATH_RE = /^\/v1\/nodes\/([^/]{1,200})\/shell$/;

/** Control messages on the terminal WebSocket (text frames); terminal bytes go as binary frames. */
export const terminalControlSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resize'), cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) }),
  z.object({ type: z.literal('signal'), name: z.enum(['INT', 'TERM', 'HUP', 'KILL', 'QUIT']) }),
  z.object({ type: z.literal('eof') }),
]);
export type TerminalControl = z.infer<typeof terminalControlSchema>;

/** What the server sends as text frames: where the session is, stderr of a command without a pty, and the end. */
export type TerminalEvent =
  | { type: 'ready'; nodeId: string; recording: string | null }
  | { type: 'stderr'; data: string }
  | { type: 'approval'; state: 'waiting'; message: string }
  | { type: 'exit'; code: number | null; signal: string | null }
  | { type: 'error'; code: string; message: string };

/** Bytes of stdout and of stderr a job keeps; the rest is cut. */
export const JOB_OUTPUT_LIMIT = 64 * 1024;

/** The header line the server sends on a `jobs` channel; `size` bytes of payload follow it. */
export const jobWireSchema = z.object({
  id: z.string(),
  kind: z.enum(['command', 'push', 'update']),
  /** The command; for an update, its install command (the file is in $BURROW_UPDATE_FILE). */
  command: z.string().max(8192).optional(),
  /** push: the absolute target path; update: the file's name. */
  path: z.string().max(4096).optional(),
  mode: z.number().int().min(0).max(0o7777).optional(),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The signed manifest's text (see jobManifest.ts), when the job was signed. */
  manifest: z.string().max(MANIFEST_LIMIT).optional(),
  /** base64 ed25519 signature over the manifest's UTF-8 bytes. */
  signature: z.string().max(200).optional(),
  timeoutMs: z.number().int().positive(),
});
export type JobWire = z.infer<typeof jobWireSchema>;

/** The one line the node answers with before it closes the channel. */
export const jobResultSchema = z.object({
  ok: z.boolean(),
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  error: z.string().nullable(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

/** A job target's state. */
export type JobTargetStatus = 'pending' | 'running' | 'ok' | 'failed' | 'expired' | 'cancelled';
