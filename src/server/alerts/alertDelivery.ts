import type { AlertMessage } from '../../shared/alerts.js';
import { Backoff } from '../../shared/backoff.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { newId } from '../../shared/secrets.js';
import type { SecretBox } from '../../shared/secretBox.js';
import type { Database } from '../store/database.js';
import { appendAudit } from '../store/auditStore.js';
import type { AlertChannelRecord } from '../store/alertStore.js';
import { insertAlertDelivery, updateAlertDelivery } from '../store/alertDeliveryStore.js';
import { sendAlertMail, type EmailSettings } from './emailSender.js';
import type { TargetPolicy } from './targetPolicy.js';
import { postWebhook } from './webhookSender.js';

/** The SecretBox context of a channel's sealed secret: a sealed value moved to another channel does not open. */
export const channelSecretContext = (channelId: string) => `alert-channel:${channelId}`;

/** Sends one message over one channel; throws on failure. Replaceable in tests. */
export type ChannelSender = (channel: AlertChannelRecord, secret: string | null, message: AlertMessage, deliveryId: string) => Promise<void>;

/** What the delivery needs. */
export interface AlertDeliveryDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  log: Logger;
  policy: TargetPolicy;
  /** Attempts per delivery, the first included. */
  maxAttempts?: number;
  /** Backoff between attempts. */
  retry?: { initialMs: number; maxMs: number };
  timeoutMs?: number;
  send?: ChannelSender;
  random?: () => number;
}

/** The outcome of a delivery's first attempt. */
export interface FirstAttempt {
  deliveryId: string;
  status: 'delivered' | 'pending' | 'failed';
  error: string | null;
}

/**
 * Delivers alerts to channels: one logged delivery per (alert, channel), retried with a
 * capped, jittered exponential backoff on the injected clock until it succeeds or runs out
 * of attempts. Every attempt's outcome is audited and recorded on the delivery row.
 */
export class AlertDelivery {
  private readonly timers = new Set<TimerHandle>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private readonly maxAttempts: number;
  private readonly send: ChannelSender;

  constructor(private readonly d: AlertDeliveryDeps) {
    this.maxAttempts = d.maxAttempts ?? 6;
    const timeoutMs = d.timeoutMs ?? 10_000;
    this.send = d.send ?? ((channel, secret, message, deliveryId) => realSend(channel, secret, message, deliveryId, d.policy, timeoutMs, d.clock.now()));
  }

  /** Logs a delivery of `message` to `channel` and makes its first attempt (retries, up to `attempts` in all, follow on their own). */
  async deliver(channel: AlertChannelRecord, message: AlertMessage, ruleId: string | null, subject: string | null, o: { attempts?: number } = {}): Promise<FirstAttempt> {
    const id = newId('dlv');
    const now = this.d.clock.now();
    await insertAlertDelivery(this.d.db, { id, groupId: channel.groupId, channelId: channel.id, ruleId, event: message.event, subject, summary: message.summary, status: 'pending', attempts: 0, lastError: null, createdAt: now, updatedAt: now });
    const backoff = new Backoff({ initialMs: this.d.retry?.initialMs ?? 5_000, maxMs: this.d.retry?.maxMs ?? 5 * 60_000, ...(this.d.random ? { random: this.d.random } : {}) });
    return this.track(this.attempt(id, channel, message, 1, backoff, o.attempts ?? this.maxAttempts));
  }

  /** Resolves once no attempt is under way (retries still waiting on the clock are not attempts yet). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops retrying and waits for attempts under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) this.d.clock.clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async attempt(id: string, channel: AlertChannelRecord, message: AlertMessage, n: number, backoff: Backoff, maxAttempts: number): Promise<FirstAttempt> {
    let error: string | null = null;
    try {
      const secret = channel.secretSealed ? this.d.box.open(channel.secretSealed, channelSecretContext(channel.id)) : null;
      await this.send(channel, secret, message, id);
    } catch (err) {
      error = ((err as Error).message || 'delivery failed').slice(0, 500);
    }
    const status = error === null ? 'delivered' : n >= maxAttempts || this.closed ? 'failed' : 'pending';
    const now = this.d.clock.now();
    await this.d.db.transaction(async (tx) => {
      await updateAlertDelivery(tx, id, { status, attempts: n, lastError: error }, now);
      await appendAudit(tx, { actor: 'system', action: 'alert.deliver', target: id, result: error === null ? 'ok' : 'failed', groupId: channel.groupId, objectType: 'alert-delivery', detail: { channel: channel.id, kind: channel.kind, event: message.event, attempt: n, ...(error ? { error } : {}) } }, now);
    }).catch((err: Error) => this.d.log.warn({ err: err.message, deliveryId: id }, 'could not record an alert delivery attempt'));
    if (status === 'pending') {
      const t = this.d.clock.setTimeout(() => {
        this.timers.delete(t);
        if (!this.closed) void this.track(this.attempt(id, channel, message, n + 1, backoff, maxAttempts));
      }, backoff.next());
      this.timers.add(t);
    }
    this.d.log.info({ deliveryId: id, channel: channel.id, attempt: n, status, ...(error ? { err: error } : {}) }, 'alert delivery attempt');
    return { deliveryId: id, status, error };
  }
}

async function realSend(channel: AlertChannelRecord, secret: string | null, message: AlertMessage, deliveryId: string, policy: TargetPolicy, timeoutMs: number, nowMs: number): Promise<void> {
  if (channel.kind === 'webhook') {
    await postWebhook({ url: channel.config.url as string, secret: secret ?? '', body: JSON.stringify(message), deliveryId, nowMs, policy, timeoutMs });
    return;
  }
  const settings = { ...(channel.config as unknown as Omit<EmailSettings, 'password'>), ...(secret ? { password: secret } : {}) };
  await sendAlertMail(settings, message, policy, timeoutMs);
}
