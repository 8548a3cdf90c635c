import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { AuditEntry } from '../store/auditStore.js';

/** Records a refused attempt in the audit log; rate-limited, never throws. */
export interface DenialRecorder {
  denied(e: Omit<AuditEntry, 'result'>): void;
}

/** What the limiter needs. */
export interface DeniedAttemptsDeps {
  clock: Clock;
  log: Logger;
  /** Writes one audit entry. */
  write: (e: AuditEntry, at: number) => Promise<void>;
  /** Entries written per actor and action within one window; the rest are counted. */
  perWindow?: number;
  windowMs?: number;
  /** Actor+action pairs tracked at once; beyond it, new pairs share one overflow bucket. */
  maxKeys?: number;
}

interface Bucket {
  start: number;
  written: number;
  suppressed: number;
  last: Omit<AuditEntry, 'result'>;
  timer?: TimerHandle;
}

const OVERFLOW = '\0overflow';

/**
 * Audits denied attempts (refused API calls, session connections, tunnel authentications)
 * without letting a flood of them flood the log: per actor and action, the first
 * `perWindow` in a window are written as they come, the rest are counted, and one summary
 * entry at the window's end says how many were left out.
 */
export class DeniedAttempts implements DenialRecorder {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: DeniedAttemptsDeps) {
    this.perWindow = d.perWindow ?? 10;
    this.windowMs = d.windowMs ?? 60_000;
    this.maxKeys = d.maxKeys ?? 10_000;
  }

  denied(e: Omit<AuditEntry, 'result'>): void {
    const now = this.d.clock.now();
    // Anonymous attempts are told apart by address, so one prober cannot silence another's entries.
    const actorKey = e.actor === 'anonymous' ? `anonymous@${e.sourceIp ?? ''}` : e.actor;
    let key = `${actorKey}\0${e.action}`;
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) key = OVERFLOW;
    let b = this.buckets.get(key);
    if (!b) {
      b = { start: now, written: 0, suppressed: 0, last: e };
      this.buckets.set(key, b);
      const bucket = b;
      b.timer = this.d.clock.setTimeout(() => this.flush(key, bucket), this.windowMs);
    }
    b.last = e;
    if (key !== OVERFLOW && b.written < this.perWindow) {
      b.written++;
      this.write({ ...e, result: 'denied' }, now);
    } else {
      b.suppressed++;
    }
  }

  /** Ends a window: writes the summary of what it left out, and forgets the bucket. */
  private flush(key: string, b: Bucket): void {
    if (this.buckets.get(key) === b) this.buckets.delete(key);
    if (b.timer) this.d.clock.clearTimeout(b.timer);
    if (b.suppressed === 0) return;
    const overflow = key === OVERFLOW;
    this.write(
      {
        actor: overflow ? 'anonymous' : b.last.actor,
        sourceIp: overflow ? null : (b.last.sourceIp ?? null),
        action: overflow ? 'audit.denied.overflow' : b.last.action,
        target: overflow ? null : (b.last.target ?? null),
        groupId: overflow ? null : (b.last.groupId ?? null),
        result: 'denied',
        detail: { summary: true, notRecorded: b.suppressed, since: new Date(b.start).toISOString(), windowMs: this.windowMs },
      },
      this.d.clock.now(),
    );
  }

  private write(e: AuditEntry, at: number): void {
    const p = this.d.write(e, at).catch((err: Error) => this.d.log.warn({ err: err.message, action: e.action }, 'could not audit a denied attempt'));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Writes the summaries of open windows and waits for every write (at shutdown, before the store closes). */
  async close(): Promise<void> {
    for (const [key, b] of [...this.buckets]) this.flush(key, b);
    await Promise.all([...this.pending]);
  }
}
