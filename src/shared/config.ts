import { z } from 'zod';
import { parseCidr } from './cidr.js';
import { BurrowError } from './errors.js';
import { onDemandScheduleSchema, serviceNameSchema } from './protocol.js';
import { serviceTargetSchema } from './serviceTarget.js';
import { approvalPolicySchema } from './approvalProtocol.js';
import { isPrivateAddress } from './privateAddress.js';
import { conditionRulesSchema } from './conditions.js';
export type { OnDemandSchedule } from './protocol.js';

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected HOST:PORT, e.g. 0.0.0.0:8443')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'the port must be at most 65535')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) >= 1, 'the port must be at least 1');

/** A TCP port a config file names. */
const portSchema = z.number().int().min(1).max(65535);

/** The levels pino knows; anything else would make the logger throw at start. */
const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'expected one of fatal, error, warn, info, debug, trace, silent' });

/** An https:// URL: what nodes and browsers dial. */
const httpsUrlSchema = z.string().refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'expected an https:// URL, e.g. https://burrow.example.com');

/** An absolute path on the node, without `..` segments (what a file allowance or a pull names). */
export const absolutePathSchema = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), 'expected an absolute path without ".." segments');

/** The largest file a node may allow one pull of (files.maxBytes); the server refuses a larger announced size. */
export const FILE_PULL_MAX_BYTES = 16 * 1024 ** 3;

/** The most log files a support bundle lists (files.bundleLogs). */
export const BUNDLE_LOGS_MAX = 32;

/** A local account name as useradd allows it. */
export const localUserName = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}\$?$/, 'a user name is lowercase letters, digits, _ and -');

/** `value` checked against `schema`, or a VALIDATION error naming the option it came from ("--listen: expected HOST:PORT…"). */
export function optionValue<T>(option: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new BurrowError('VALIDATION', `${option}: ${r.error.issues[0]?.message ?? 'invalid'}.`);
  return r.data;
}

/** An address block "10.0.0.0/8", "2001:db8::/32", or one address. */
const cidrSchema = z.string().refine((v) => parseCidr(v) !== undefined, 'expected an address block such as 10.0.0.0/8 or 2001:db8::/32');

/** The balancers trusted to send PROXY protocol headers: address blocks. */
export const balancerBlocksSchema = z.array(cidrSchema).max(256, 'at most 256 address blocks');

/** A DNS name in lower case (`sessions.example.com`): session hosts are named under it. */
export const sessionDomainSchema = z
  .string()
  .regex(/^(?=.{1,200}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, 'expected a DNS name in lower case with at least one dot, e.g. sessions.example.com');

/** A port range "40000-65000". */
export const portRangeSchema = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, 'expected FROM-TO, e.g. 40000-65000')
  .transform((s) => s.split('-').map(Number) as [number, number])
  .refine(([a, b]) => a >= 1024 && b <= 65535 && a <= b, 'the range must lie within 1024-65535 and FROM <= TO');

/** A PostgreSQL database URL; checked without echoing it, since it may carry a password. */
export const databaseUrlSchema = z.string().regex(/^postgres(ql)?:\/\/\S+$/i, 'expected a PostgreSQL URL such as postgres://burrow:PASSWORD@db.example.com:5432/burrow');

/** Where a peer instance is dialed: https://host:port, nothing after it. */
export const peerUrlSchema = z.string().regex(/^https:\/\/[^/?#@\s]+\/?$/, 'expected https://HOST:PORT, e.g. https://10.0.0.21:8444').refine((v) => URL.canParse(v), 'expected https://HOST:PORT, e.g. https://10.0.0.21:8444');

/** server.json in the server's home; strict, so a misspelt key is refused rather than silently dropped. */
export const serverConfigSchema = z.strictObject({
  listen: hostPort.default('0.0.0.0:8443'),
  publicUrl: httpsUrlSchema,
  sessionPorts: z
    .tuple([portSchema, portSchema], { message: 'expected [LOW, HIGH], e.g. [40000, 65000]' })
    .refine(([low, high]) => low <= high, 'expected [LOW, HIGH] with LOW <= HIGH')
    .default([40000, 65000]),
  /** Address session ports bind to. */
  sessionHost: z.string().default('0.0.0.0'),
  /** Balancers (address blocks) whose PROXY protocol headers are believed on the main and session ports; empty: none. */
  proxyProtocolFrom: balancerBlocksSchema.default([]),
  /** Each WebUI session is served at a name of its own under this domain; absent, sessions share the console's host. */
  sessionDomain: sessionDomainSchema.optional(),
  sessionTtlMs: z.number().int().positive().default(8 * 3_600_000),
  sessionIdleMs: z.number().int().positive().default(15 * 60_000),
  /** How long a session waits for its node to come back before it closes. */
  nodeGraceMs: z.number().int().nonnegative().default(60_000),
  /** Open sessions one user may hold at once. */
  maxSessionsPerUser: z.number().int().positive().default(20),
  /** Open sessions on one node at once. */
  maxSessionsPerNode: z.number().int().positive().default(20),
  /** Open sessions at once, counted over every instance of a deployment. */
  maxSessions: z.number().int().positive().default(1000),
  /** A dead link (no FIN) is detected within (keepaliveCountMax + 1) x keepaliveIntervalMs: 28 s by default. */
  keepaliveIntervalMs: z.number().int().positive().default(7_000),
  keepaliveCountMax: z.number().int().positive().default(3),
  /** Tunnels allowed mid-handshake at once; the rest get 503 with Retry-After. */
  maxPendingHandshakes: z.number().int().positive().default(256),
  /** TLS handshakes under way at once on the main port; past it a connection is cut before TLS (the agent backs off and comes back). */
  maxTlsHandshakes: z.number().int().positive().default(256),
  /** A connection to the main port that has not finished its TLS handshake by then is cut. */
  tlsHandshakeTimeoutMs: z.number().int().positive().default(10_000),
  /** A client must have sent a request's headers within this long of starting it (slowloris). */
  headersTimeoutMs: z.number().int().positive().default(20_000),
  /** The same on session ports, where a slow appliance link may delay a browser's headers. */
  sessionHeadersTimeoutMs: z.number().int().positive().default(30_000),
  /** Connections one source address may hold open on the console/API/tunnel port. */
  maxConnectionsPerIp: z.number().int().positive().default(256),
  /** Connections one source address may hold open on one session port. */
  maxSessionConnectionsPerIp: z.number().int().positive().default(64),
  /** A tunnel that has not authenticated its node by then is cut. */
  tunnelAuthTimeoutMs: z.number().int().positive().default(15_000),
  /** SSH authentication attempts one tunnel connection may make. */
  maxTunnelAuthAttempts: z.number().int().positive().default(6),
  /** Services (tcpip-forward requests) one node may announce. */
  maxServicesPerNode: z.number().int().positive().default(32),
  /** Channels the server holds open to one node at once (each browser connection is one). */
  maxChannelsPerNode: z.number().int().positive().default(512),
  logLevel: logLevelSchema.default('info'),
  /** How long a session requested for an away on-demand node waits for it. */
  sessionQueueMaxWaitMs: z.number().int().positive().default(24 * 3_600_000),
  /** How many status reports the server keeps per node. */
  statusHistoryLimit: z.number().int().positive().max(10_000).default(200),
  /** A node may rotate its key at most once per this interval (by schedule or on request). */
  keyRotationMinIntervalMs: z.number().int().positive().default(3_600_000),
  /** Status history rows one node may add per minute (in a burst); faster reports are answered, not kept. */
  nodeStatusWritesPerMinute: z.number().int().positive().default(12),
  /** Audit entries one node's own actions (connect, disconnect) may add per minute; the rest are counted in the next. */
  nodeAuditWritesPerMinute: z.number().int().positive().default(30),
  /** How long the server keeps a pending node's sign-in open, so that approving it lets it in at once. */
  pendingHoldMs: z.number().int().positive().max(60_000).default(10_000),
  /** How often a signed checkpoint of the audit log is written outside the database (when entries were added). */
  auditCheckpointIntervalMs: z.number().int().min(1_000).default(5 * 60_000),
  /** An HTTPS (or HTTP) URL each audit checkpoint is also POSTed to as JSON; failures are logged. */
  auditCheckpointWebhook: z.string().url().regex(/^https?:\/\//, 'a webhook URL is http(s)://…').optional(),
  /**
   * Where Prometheus scrapes /metrics: a plain-HTTP listener of its own, only on a private
   * or loopback address (metrics name no secrets but describe the fleet); unset, none.
   */
  metricsListen: hostPort
    .refine((v) => isPrivateAddress(v.slice(0, v.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1')), 'the metrics listener needs a private or loopback IP address, e.g. 127.0.0.1:9464')
    .optional(),
  /**
   * Whether alert webhooks and SMTP servers may be private, loopback or link-local
   * addresses. Off by default: a group admin names them, the server connects from inside
   * the operator's network, and must not become a probe of it (or of a cloud metadata service).
   */
  alertPrivateTargets: z.boolean().default(false),
  /** How often the alert engine reads new audit entries (failed jobs, sign-ins) and status reports. */
  alertPollMs: z.number().int().min(100).max(600_000).default(5_000),
  /** After a start, how long offline alerts wait at least, so that nodes have time to reconnect. */
  alertStartupGraceMs: z.number().int().min(0).max(3_600_000).default(120_000),
  /** Attempts per alert delivery (the first included), spaced by a capped exponential backoff. */
  alertDeliveryAttempts: z.number().int().min(1).max(20).default(6),
  /** Where the access log goes: stdout, access.log in the server's home, or nowhere. */
  accessLog: z.enum(['stdout', 'file', 'off'], { message: 'expected one of stdout, file, off' }).default('stdout'),
  /** The PostgreSQL database holding the store; absent, the store is the SQLite file burrow.db in the home. */
  database: databaseUrlSchema.optional(),
  /** Where the mutually authenticated link from the deployment's other instances listens (HOST:PORT); unset, none. */
  peerListen: hostPort.optional(),
  /** The URL the other instances dial to reach this one's peer link; by default https://<peerListen>. */
  peerUrl: peerUrlSchema.optional(),
  /** How often this instance records its heartbeat in the store (and looks for silent instances). */
  instanceHeartbeatMs: z.number().int().min(100).default(5_000),
  /** An instance silent this long is declared dead by a survivor: its sessions closed, its nodes' routes dropped. At least twice the heartbeat. */
  instanceDeadAfterMs: z.number().int().positive().default(20_000),
  /** How often each node's tunnel bytes are added to the store (and its data budget judged); also when a tunnel ends. */
  trafficFlushMs: z.number().int().min(100).max(3_600_000).default(30_000),
});
export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** node.json in the node's home; strict at every level, like server.json. */
export const nodeConfigSchema = z.strictObject({
  serverUrl: httpsUrlSchema,
  nodeId: z.string(),
  name: z.string(),
  /** Pin of the server's TLS key, from the enrollment token; follows a renewed certificate (src/node/tlsRepin.ts). */
  tlsPin: z.string().startsWith('sha256/'),
  /** The server's SSH host key (OpenSSH public key line), pinned at enrollment. */
  sshHostKey: z.string(),
  /** Service name -> `host:port` (HTTP or raw TCP) or `https://host:port` (a WebUI speaking TLS). */
  services: z.record(serviceNameSchema, serviceTargetSchema).default({}),
  /**
   * Targets the server may point a service at (besides those exposed now): what the operator
   * declared with \`burrow node service add|allow\`. Anything else the server asks for is refused.
   */
  allowedTargets: z.array(serviceTargetSchema).max(64).default([]),
  /** The built-in shell service: on unless the operator turns it off; optionally pinned to one local user. */
  /** The node's shell: on or off, the local user it runs as (the agent's own by default), and the directory it starts in and calls HOME (that user's home by default). */
  shell: z.strictObject({ enabled: z.boolean().default(true), user: localUserName.optional(), home: absolutePathSchema.optional() }).default({ enabled: true }),
  /**
   * The built-in jobs service. With `updateKey` (ed25519 public key, PEM), signed manifests are
   * checked, and `require` says what must be signed: updates only, or every job.
   */
  jobs: z
    .strictObject({
      enabled: z.boolean().default(true),
      updateKey: z.string().startsWith('-----BEGIN PUBLIC KEY-----').optional(),
      require: z.enum(['updates', 'all']).default('updates'),
    })
    .default({ enabled: true, require: 'updates' }),
  /**
   * What the server may pull from the node (`burrow node files`): files under the `allow`
   * directories up to `maxBytes` each, and the log files a support bundle carries. Read at
   * each request, so a change (a revocation above all) needs no restart.
   */
  files: z
    .strictObject({
      allow: z.array(absolutePathSchema).max(32).default([]),
      maxBytes: z.number().int().positive().max(FILE_PULL_MAX_BYTES).default(1024 ** 3),
      bundleLogs: z.array(absolutePathSchema).max(BUNDLE_LOGS_MAX).default([]),
    })
    .default({ allow: [], maxBytes: 1024 ** 3, bundleLogs: [] }),
  /** A dead link (no FIN) is detected within (keepaliveCountMax + 1) x keepaliveIntervalMs: 28 s by default. */
  keepaliveIntervalMs: z.number().int().positive().default(7_000),
  keepaliveCountMax: z.number().int().positive().default(3),
  backoffInitialMs: z.number().int().positive().default(1_000),
  backoffMaxMs: z.number().int().positive().default(60_000),
  /** How soon a node that waits for approval knocks again (the server holds each knock open ~10 s). */
  pendingRetryMs: z.number().int().positive().default(2_000),
  logLevel: logLevelSchema.default('info'),
  /** How the agent connects; `burrow node mode` writes this and a running agent follows. */
  mode: z.enum(['always-on', 'on-demand']).default('always-on'),
  /** The on-demand schedule: windows like "Mon-Fri 09:00-18:00" in an IANA zone. */
  schedule: onDemandScheduleSchema.strict().optional(),
  /** Set by the operator so that a mode proposed by the server is not applied. */
  modeLocked: z.boolean().default(false),
  /** Past an on-demand check-in, how often to ask whether the server still holds work. */
  holdCheckMs: z.number().int().positive().default(5_000),
  /** An HTTP(S) proxy for reaching the server; the password is sealed with the node's key file. */
  proxy: z
    .strictObject({
      url: z.string().regex(/^https?:\/\/[^/@\s]+(:\d{1,5})?\/?$/, 'a proxy URL is http(s)://host:port, without credentials'),
      username: z.string().max(256).optional(),
      sealedPassword: z.string().optional(),
    })
    .optional(),
  /** How old the node's SSH key may grow before the agent rotates it over the tunnel. */
  keyRotationMs: z.number().int().positive().default(30 * 86_400_000),
  /** How often a connected always-on agent reports its status. */
  statusIntervalMs: z.number().int().positive().default(60_000),
  /** The operator's condition rules (`burrow node conditions`), evaluated by the agent; changes apply without a restart. */
  conditions: conditionRulesSchema.refine((rs) => new Set(rs.map((r) => r.name)).size === rs.length, 'two conditions have the same name').default([]),
  /** Customer approval (`burrow node approval`): sessions, shells and jobs wait for a person on site. */
  approval: approvalPolicySchema.default({ enabled: false, timeoutMs: 300_000 }),
})
  .refine((c) => c.mode !== 'on-demand' || c.schedule !== undefined, { message: 'on-demand mode needs a schedule', path: ['schedule'] })
  .refine((c) => c.backoffInitialMs <= c.backoffMaxMs, { message: 'must not exceed backoffMaxMs', path: ['backoffInitialMs'] });
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

/** Splits "host:port" (or "[v6]:port") into its parts. */
export function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const host = value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(value.slice(i + 1)) };
}

/**
 * The URL this instance advertises for its peer link (`peerUrl`, else https://<peerListen>),
 * or undefined without a peer link. A wildcard `peerListen` names no address a peer could
 * dial, so it needs `peerUrl`.
 */
export function advertisedPeerUrl(c: Pick<ServerConfig, 'peerListen' | 'peerUrl'>): string | undefined {
  if (c.peerUrl !== undefined) return c.peerUrl;
  if (c.peerListen === undefined) return undefined;
  const { host } = splitHostPort(c.peerListen);
  if (host === '0.0.0.0' || host === '::') {
    throw new BurrowError('CONFIG_INVALID', `peerListen ${c.peerListen} listens on every address, so peers cannot be told where to dial: set peerUrl (e.g. https://10.0.0.21:8444).`);
  }
  return `https://${c.peerListen}`;
}

/** Environment variables that override server.json, named once here (key -> variable). */
export const SERVER_ENV_VARIABLES = { listen: 'BURROW_LISTEN', publicUrl: 'BURROW_PUBLIC_URL', logLevel: 'BURROW_LOG_LEVEL' } as const satisfies Partial<Record<keyof ServerConfig, string>>;

/** Environment variables that override node.json (key -> variable). */
export const NODE_ENV_VARIABLES = { logLevel: 'BURROW_LOG_LEVEL' } as const satisfies Partial<Record<keyof NodeConfig, string>>;

/** The overrides `variables` finds set in `env`, by config key. */
function envOverrides(variables: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(variables)) if (env[name]) out[key] = env[name];
  return out;
}

/** Environment variables that override server.json. */
export function serverEnvOverrides(env: NodeJS.ProcessEnv): Partial<Record<keyof ServerConfig, unknown>> {
  return envOverrides(SERVER_ENV_VARIABLES, env);
}

/** Environment variables that override node.json. */
export function nodeEnvOverrides(env: NodeJS.ProcessEnv): Partial<Record<keyof NodeConfig, unknown>> {
  return envOverrides(NODE_ENV_VARIABLES, env);
}
