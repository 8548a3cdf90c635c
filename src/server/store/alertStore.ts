import type { AlertRuleSpec } from '../../shared/alerts.js';
import type { Queryable } from './database.js';

/** A stored alert rule. */
export interface AlertRuleRecord {
  id: string;
  groupId: string;
  name: string;
  spec: AlertRuleSpec;
  channelIds: string[];
  quietMs: number;
  createdBy: string | null;
  createdAt: number;
}

/** A stored alert channel; `secretSealed` is the SecretBox-sealed webhook secret or SMTP password. */
export interface AlertChannelRecord {
  id: string;
  groupId: string;
  name: string;
  kind: 'webhook' | 'email';
  config: Record<string, unknown>;
  secretSealed: string | null;
  createdBy: string | null;
  createdAt: number;
}

interface RuleRow { id: string; group_id: string; name: string; kind: string; params: string; channels: string; quiet_ms: number; created_by: string | null; created_at: number }
interface ChannelRow { id: string; group_id: string; name: string; kind: 'webhook' | 'email'; config: string; secret: string | null; created_by: string | null; created_at: number }

const toRule = (r: RuleRow): AlertRuleRecord => ({
  id: r.id,
  groupId: r.group_id,
  name: r.name,
  spec: { kind: r.kind, ...(JSON.parse(r.params) as object) } as AlertRuleSpec,
  channelIds: JSON.parse(r.channels) as string[],
  quietMs: Number(r.quiet_ms),
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
});

const toChannel = (r: ChannelRow): AlertChannelRecord => ({
  id: r.id,
  groupId: r.group_id,
  name: r.name,
  kind: r.kind,
  config: JSON.parse(r.config) as Record<string, unknown>,
  secretSealed: r.secret,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
});

/** Adds a rule. */
export async function insertAlertRule(q: Queryable, r: AlertRuleRecord): Promise<void> {
  const { kind, ...params } = r.spec;
  await q.run(
    'INSERT INTO alert_rules (id, group_id, name, kind, params, channels, quiet_ms, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)',
    [r.id, r.groupId, r.name, kind, JSON.stringify(params), JSON.stringify(r.channelIds), r.quietMs, r.createdBy, r.createdAt],
  );
}

/** Every rule, by group and name. */
export async function listAlertRules(q: Queryable): Promise<AlertRuleRecord[]> {
  return (await q.all<RuleRow>('SELECT * FROM alert_rules ORDER BY group_id, name')).map(toRule);
}

/** One rule by id. */
export async function getAlertRule(q: Queryable, id: string): Promise<AlertRuleRecord | undefined> {
  const r = await q.get<RuleRow>('SELECT * FROM alert_rules WHERE id = ?', [id]);
  return r && toRule(r);
}

/** Removes a rule and its incident state. */
export async function deleteAlertRule(q: Queryable, id: string): Promise<void> {
  await q.run('DELETE FROM alert_incidents WHERE rule_id = ?', [id]);
  await q.run('DELETE FROM alert_rules WHERE id = ?', [id]);
}

/** Adds a channel. */
export async function insertAlertChannel(q: Queryable, c: AlertChannelRecord): Promise<void> {
  await q.run(
    'INSERT INTO alert_channels (id, group_id, name, kind, config, secret, created_by, created_at) VALUES (?,?,?,?,?,?,?,?)',
    [c.id, c.groupId, c.name, c.kind, JSON.stringify(c.config), c.secretSealed, c.createdBy, c.createdAt],
  );
}

/** Every channel, by group and name. */
export async function listAlertChannels(q: Queryable): Promise<AlertChannelRecord[]> {
  return (await q.all<ChannelRow>('SELECT * FROM alert_channels ORDER BY group_id, name')).map(toChannel);
}

/** One channel by id. */
export async function getAlertChannel(q: Queryable, id: string): Promise<AlertChannelRecord | undefined> {
  const r = await q.get<ChannelRow>('SELECT * FROM alert_channels WHERE id = ?', [id]);
  return r && toChannel(r);
}

/** Removes a channel. */
export async function deleteAlertChannel(q: Queryable, id: string): Promise<void> {
  await q.run('DELETE FROM alert_channels WHERE id = ?', [id]);
}
