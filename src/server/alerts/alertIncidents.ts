import type { Queryable } from '../store/database.js';
import { openIncident, pulseIncident, resolveIncident } from '../store/alertStateStore.js';

/** What to do about an alert key that just went bad. */
export type OpenVerdict = 'send' | 'quiet' | 'already-open';

/**
 * Deduplication and quiet periods for alert keys (rule, subject), kept in the store so a
 * restart neither repeats an alert nor forgets one. An incident sends once when it opens;
 * one that opens again within the rule's quiet period (counted from the key's last send)
 * sends nothing, and neither does its end. Each step is one conditional write rather than a
 * read and a write, so two instances that both believe they lead (one that lost its lock
 * and has not noticed yet) cannot both open, close or pulse a key: only the one whose write
 * changed the row sends.
 */
export class AlertIncidents {
  constructor(private readonly db: Queryable) {}

  /** A condition began (a node offline too long, a disk too full). */
  open(ruleId: string, subject: string, quietMs: number, now: number): Promise<OpenVerdict> {
    return openIncident(this.db, ruleId, subject, quietMs, now);
  }

  /** A condition ended; true when its start was announced (and this instance closed it), so its end should be too. */
  resolve(ruleId: string, subject: string): Promise<boolean> {
    return resolveIncident(this.db, ruleId, subject);
  }

  /** A one-off event (a session, a failed job) that happened at `at`: true unless the key sent within the quiet period, or already for this moment. */
  pulse(ruleId: string, subject: string, quietMs: number, at: number): Promise<boolean> {
    return pulseIncident(this.db, ruleId, subject, quietMs, at);
  }
}
