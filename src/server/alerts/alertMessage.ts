import type { AlertMessage } from '../../shared/alerts.js';
import { newId } from '../../shared/secrets.js';
import type { AlertRuleRecord } from '../store/alertStore.js';
import type { NodeRecord } from '../store/nodeStore.js';

/** The message a rule sends: what happened, in one sentence and as fields. */
export function alertMessage(at: number, rule: AlertRuleRecord, node: NodeRecord | null, event: string, summary: string, detail: Record<string, unknown>): AlertMessage {
  return { id: newId('alm'), event, summary, group: rule.groupId, rule: { id: rule.id, name: rule.name }, node: node ? { id: node.id, name: node.name } : null, at: new Date(at).toISOString(), detail };
}
