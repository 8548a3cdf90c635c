import { z } from 'zod';

/** What a rule watches, with the parameters of each kind. */
export const alertRuleSpecSchema = z.discriminatedUnion('kind', [
  /** A node offline for longer than `afterSeconds`. */
  z.strictObject({ kind: z.literal('node.offline'), afterSeconds: z.number().int().min(1).max(30 * 86_400) }),
  /** A node back online, only after an offline alert fired for it. */
  z.strictObject({ kind: z.literal('node.online') }),
  /** A session opened on a node of the rule's group. */
  z.strictObject({ kind: z.literal('session.opened') }),
  /** A job failed on a node of the rule's group. */
  z.strictObject({ kind: z.literal('job.failed') }),
  /** More than `count` failed sign-ins within `windowSeconds` (server-wide: root group only). */
  z.strictObject({ kind: z.literal('signin.failed'), count: z.number().int().min(1).max(100_000), windowSeconds: z.number().int().min(1).max(86_400) }),
  /** Disk or memory use above `percent`, from the node's status reports. */
  z.strictObject({ kind: z.literal('health.disk'), percent: z.number().min(1).max(100) }),
  z.strictObject({ kind: z.literal('health.memory'), percent: z.number().min(1).max(100) }),
  /** The 1-minute load average above `above`. */
  z.strictObject({ kind: z.literal('health.load'), above: z.number().positive().max(10_000) }),
  /** A local service the node reports unreachable (any, or the one named). */
  z.strictObject({ kind: z.literal('health.service'), service: z.string().min(1).max(64).optional() }),
  /** A condition rule evaluated on the node began firing (any, or the one named). */
  z.strictObject({ kind: z.literal('condition.firing'), condition: z.string().min(1).max(48).optional() }),
  /** A node of the rule's group used 80 % of its monthly data budget (once a month). */
  z.strictObject({ kind: z.literal('budget.warning') }),
  /** A node of the rule's group spent its monthly data budget (once a month). */
  z.strictObject({ kind: z.literal('budget.exceeded') }),
]);
/** A rule's kind and parameters. */
export type AlertRuleSpec = z.infer<typeof alertRuleSpecSchema>;
/** The kinds of rule. */
export type AlertRuleKind = AlertRuleSpec['kind'];

/** The name of a rule or channel. */
export const alertNameSchema = z.string().trim().min(1).max(64).regex(/^[\w .@-]+$/, 'a name is letters, digits, spaces and . _ @ -');

/** A webhook channel as created: a URL and the secret its bodies are signed with. */
export const webhookChannelSchema = z.strictObject({
  kind: z.literal('webhook'),
  url: z.string().url().max(2000).regex(/^https?:\/\//i, 'a webhook URL is http(s)://…'),
  secret: z.string().min(16, 'a webhook secret has at least 16 characters').max(200),
});

/** An email channel as created: the SMTP server, its account and the addresses. */
export const emailChannelSchema = z.strictObject({
  kind: z.literal('email'),
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535).default(587),
  /** Refuse to send unless the server upgrades the connection with STARTTLS. */
  starttls: z.boolean().default(true),
  user: z.string().min(1).max(200).optional(),
  password: z.string().min(1).max(200).optional(),
  /** A PEM certificate (or CA) the SMTP server's certificate must chain to; unset, the system CAs. */
  ca: z.string().max(20_000).optional(),
  from: z.string().email().max(254),
  to: z.array(z.string().email().max(254)).min(1).max(20),
});

/** A channel as created. */
export const alertChannelSpecSchema = z.discriminatedUnion('kind', [webhookChannelSchema, emailChannelSchema]);
/** A channel's kind and settings, secrets included (only ever sent to the server). */
export type AlertChannelSpec = z.infer<typeof alertChannelSpecSchema>;

/** A rule as the API shows it. */
export interface AlertRuleView {
  id: string;
  name: string;
  group: string;
  spec: AlertRuleSpec;
  channels: string[];
  quietSeconds: number;
  createdAt: string;
}

/** A channel as the API shows it: settings without secrets. */
export interface AlertChannelView {
  id: string;
  name: string;
  group: string;
  kind: 'webhook' | 'email';
  /** webhook: url; email: host, port, starttls, user, from, to (never the password or the secret). */
  settings: Record<string, unknown>;
  createdAt: string;
}

/** One alert sent to one channel, and how its delivery went. */
export interface AlertDeliveryView {
  id: string;
  group: string;
  channel: string;
  rule: string | null;
  event: string;
  subject: string | null;
  summary: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The JSON body of a webhook call and the facts of a mail. */
export interface AlertMessage {
  id: string;
  /** The rule kind that fired, or `test` for a test message. */
  event: string;
  summary: string;
  group: string;
  rule: { id: string; name: string } | null;
  node: { id: string; name: string } | null;
  at: string;
  detail: Record<string, unknown>;
}
