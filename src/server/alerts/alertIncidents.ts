import type { Queryable } from '../store/database.js';
import { getIncident, putIncident } from '../store/alertStateStore.js';

/** What to do about an alert key that just went bad. */
export type OpenVerdict = 'send' | 'quiet' | 'already-open';

/**
 * Deduplication and quiet periods for alert keys (rule, subject), kept in the store so a
 * restart neither repeats an alert nor forgets one. An incident sends once when it opens;
 * one that opens again within the rule's quiet period (counted from the key's last send)
 * sends nothing, and neither does its end.
 */
export class AlertIncidents {
  constructor(private readonly db: Queryable) {}

  /** A condition began (a node offline too long, a disk too full). */
  async open(ruleId: string, subject: string, quietMs: number, now: number): Promise<OpenVerdict> {
    const s = await getIncident(this.db, ruleId, subject);
    if (s?.open) return 'already-open';
    const quiet = s?.lastSentAt != null && now - s.lastSentAt < quietMs;
    await putIncident(this.db, ruleId, subject, { open: true, notified: !quiet, openedAt: now, lastSentAt: quiet ? (s?.lastSentAt ?? null) : now });
    return quiet ? 'quiet' : 'send';
  }

  /** A condition ended; true when its start was announced, so its end should be too. */
  async resolve(ruleId: string, subject: string): Promise<boolean> {
    const s = await getIncident(this.db, ruleId, subject);
    if (!s?.open) return false;
    await putIncident(this.db, ruleId, subject, { ...s, open: false });
    return s.notified;
  }

  /** A one-off event (a session, a failed job): true unless the key sent within the quiet period. */
  async pulse(ruleId: string, subject: string, quietMs: number, now: number): Promise<boolean> {
    const s = await getIncident(this.db, ruleId, subject);
    if (s?.lastSentAt != null && now - s.lastSentAt < quietMs) return false;
    await putIncident(this.db, ruleId, subject, { open: false, notified: true, openedAt: now, lastSentAt: now });
    return true;
  }

  /** Whether an incident of the key is open now. */
  async isOpen(ruleId: string, subject: string): Promise<boolean> {
    return (await getIncident(this.db, ruleId, subject))?.open ?? false;
  }
}
