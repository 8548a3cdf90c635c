import type { AlertChannelView, AlertDeliveryView, AlertRuleView } from '../../../shared/alerts.js';
import type { AlertDeliveryRecord } from '../../store/alertDeliveryStore.js';
import type { AlertChannelRecord, AlertRuleRecord } from '../../store/alertStore.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A rule as the API shows it. */
export function ruleView(r: AlertRuleRecord): AlertRuleView {
  return { id: r.id, name: r.name, group: r.groupId, spec: r.spec, channels: r.channelIds, quietSeconds: Math.round(r.quietMs / 1000), createdAt: iso(r.createdAt) };
}

/** A channel as the API shows it: its settings, never its secret or password. */
export function channelView(c: AlertChannelRecord): AlertChannelView {
  return { id: c.id, name: c.name, group: c.groupId, kind: c.kind, settings: { ...c.config, ...(c.secretSealed ? { [c.kind === 'webhook' ? 'secret' : 'password']: 'set' } : {}) }, createdAt: iso(c.createdAt) };
}

/** A delivery as the API shows it. */
export function deliveryView(d: AlertDeliveryRecord): AlertDeliveryView {
  return { id: d.id, group: d.groupId, channel: d.channelId, rule: d.ruleId, event: d.event, subject: d.subject, summary: d.summary, status: d.status, attempts: d.attempts, lastError: d.lastError, createdAt: iso(d.createdAt), updatedAt: iso(d.updatedAt) };
}
