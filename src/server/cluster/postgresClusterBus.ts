import { randomBytes } from 'node:crypto';
import { Backoff, type BackoffOptions } from '../../shared/backoff.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { NotifyListener, Notifications } from '../store/database.js';
import type { ClusterBus, ClusterListener, ClusterTopic, ClusterTopics } from './clusterBus.js';

/** The one channel every instance of a deployment listens on. */
export const CLUSTER_CHANNEL = 'burrow_cluster';

/** What travels in one NOTIFY: `sender` tells this bus its own messages (delivered already) apart. */
interface Envelope {
  topic: string;
  origin: string;
  sender: string;
  payload: unknown;
}

/** Where the listening connection stands. */
export type BusState = 'initial' | 'listening' | 'reconnecting' | 'resyncing' | 'closed';

const MOVES: Record<BusState, readonly BusState[]> = {
  initial: ['listening', 'closed'],
  listening: ['reconnecting', 'closed'],
  // Listening again: the views that missed messages reload before the bus counts as up.
  reconnecting: ['resyncing', 'closed'],
  resyncing: ['listening', 'reconnecting', 'closed'],
  closed: [],
};

/** Whether the bus may move from `from` to `to` (once closed, nowhere). */
export function busMoveAllowed(from: BusState, to: BusState): boolean {
  return MOVES[from].includes(to);
}

/** What the bus needs. */
export interface PostgresClusterBusDeps {
  instanceId: string;
  notifications: Notifications;
  clock: Clock;
  log: Logger;
  channel?: string;
  /** Between attempts to listen again (default 250 ms growing to 15 s). */
  backoff?: BackoffOptions;
}

type AnyListener = (payload: unknown, origin: string) => void;

/**
 * The cluster bus of instances sharing one PostgreSQL database: NOTIFY to publish, LISTEN
 * on a dedicated connection to receive. This instance's own subscribers get its messages at
 * once, in process (they do not wait on, or depend on, the round trip). When the listening
 * connection drops, the bus reconnects with backoff and then signals `resync`: what was
 * published in the gap is lost, so subscribers that keep a view reload it from the store.
 */
export class PostgresClusterBus implements ClusterBus {
  readonly instanceId: string;
  private readonly sender = randomBytes(8).toString('hex');
  private readonly channel: string;
  private readonly listeners = new Map<string, Set<AnyListener>>();
  private readonly resyncListeners = new Set<() => void | Promise<void>>();
  private readonly backoff: Backoff;
  private listener: NotifyListener | undefined;
  private timer: TimerHandle | undefined;
  private lostAt = 0;
  private sending: Promise<unknown> = Promise.resolve();
  private current: BusState = 'initial';

  private constructor(private readonly deps: PostgresClusterBusDeps) {
    this.instanceId = deps.instanceId;
    this.channel = deps.channel ?? CLUSTER_CHANNEL;
    this.backoff = new Backoff(deps.backoff ?? { initialMs: 250, maxMs: 15_000 });
  }

  /** Starts listening; rejects when the database cannot be listened on at all. */
  static async open(deps: PostgresClusterBusDeps): Promise<PostgresClusterBus> {
    const bus = new PostgresClusterBus(deps);
    bus.listener = await bus.listen();
    bus.transition('listening');
    return bus;
  }

  /** Where the listening connection stands. */
  get state(): BusState {
    return this.current;
  }

  get linkState(): BusState {
    return this.current;
  }

  publish<K extends ClusterTopic>(topic: K, payload: ClusterTopics[K]): Promise<void> {
    if (this.current === 'closed') return Promise.resolve();
    const text = JSON.stringify({ topic, origin: this.instanceId, sender: this.sender, payload } satisfies Envelope);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.deps.notifications.maxPayloadBytes) {
      return Promise.reject(new RangeError(`A cluster message on "${topic}" takes ${bytes} bytes; the bus carries at most ${this.deps.notifications.maxPayloadBytes} (PostgreSQL NOTIFY's limit), so send ids and read the rest from the store.`));
    }
    this.deliver(topic, payload, this.instanceId);
    // One after the other: pooled connections would otherwise reorder this instance's messages.
    const sent = this.sending.then(() => this.deps.notifications.notify(this.channel, text));
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  subscribe<K extends ClusterTopic>(topic: K, listener: ClusterListener<K>): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    const l = listener as AnyListener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  onResync(listener: () => void | Promise<void>): () => void {
    this.resyncListeners.add(listener);
    return () => {
      this.resyncListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.current !== 'closed') {
      this.transition('closed');
      if (this.timer) this.deps.clock.clearTimeout(this.timer);
    }
    await this.listener?.close();
    await this.sending;
  }

  private transition(to: BusState): void {
    if (!busMoveAllowed(this.current, to)) throw new Error(`cluster bus: illegal move ${this.current} -> ${to}`);
    this.deps.log.debug({ from: this.current, to }, 'cluster bus state');
    this.current = to;
  }

  private listen(): Promise<NotifyListener> {
    return this.deps.notifications.listen(this.channel, {
      name: `burrow-bus-${this.instanceId}`,
      message: (text) => this.receive(text),
      lost: (err) => this.lost(err),
    });
  }

  private receive(text: string): void {
    let e: Envelope;
    try {
      e = JSON.parse(text) as Envelope;
    } catch {
      e = {} as Envelope;
    }
    if (typeof e.topic !== 'string' || typeof e.origin !== 'string' || typeof e.sender !== 'string' || e.payload === undefined) {
      this.deps.log.warn({ bytes: text.length }, 'cluster bus: ignored a message that is not an envelope');
      return;
    }
    if (e.sender === this.sender) return;
    this.deliver(e.topic, e.payload, e.origin);
  }

  private deliver(topic: string, payload: unknown, origin: string): void {
    for (const l of [...(this.listeners.get(topic) ?? [])]) {
      try {
        l(payload, origin);
      } catch (err) {
        this.deps.log.warn({ topic, err: (err as Error).message }, 'cluster bus subscriber failed');
      }
    }
  }

  private lost(err: Error): void {
    if (this.current !== 'listening' && this.current !== 'resyncing') return;
    this.transition('reconnecting');
    this.listener = undefined;
    this.lostAt = this.deps.clock.now();
    this.deps.log.warn({ err: err.message }, 'cluster bus lost its database connection; messages from other instances wait until it is back');
    this.retry();
  }

  /** Runs every resync listener; listening once all settled, unless the connection was lost again meanwhile. */
  private async resync(listener: NotifyListener): Promise<void> {
    const runs = [...this.resyncListeners].map(async (l) => {
      try {
        await l();
      } catch (e) {
        this.deps.log.warn({ err: (e as Error).message }, 'cluster bus resync listener failed');
      }
    });
    await Promise.all(runs);
    if (this.current === 'resyncing' && this.listener === listener) this.transition('listening');
  }

  private retry(): void {
    const delayMs = this.backoff.next();
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.listen().then(
        (listener) => {
          if (this.current === 'closed') {
            void listener.close();
            return;
          }
          this.listener = listener;
          this.transition('resyncing');
          this.backoff.reset();
          this.deps.log.warn({ gapMs: this.deps.clock.now() - this.lostAt }, 'cluster bus listening again; messages sent in the gap are lost, views reload from the store');
          void this.resync(listener);
        },
        (e: Error) => {
          if (this.current === 'closed') return;
          this.deps.log.debug({ err: e.message, attempts: this.backoff.attempts }, 'cluster bus still cannot listen');
          this.retry();
        },
      );
    }, delayMs);
  }
}
