import type { Clock, TimerHandle } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';

/** How long relayed traffic must have stopped before the heap is trimmed. */
export const IDLE_TRIM_MS = 5000;

/** What IdleHeapTrim needs of a stream: to hear each chunk it carries. */
export interface ChunkSource {
  on(event: 'data', listener: () => void): unknown;
}

/**
 * Gives the C heap's free pages back to the kernel once relayed traffic has stopped. A
 * session's bulk transfer leaves ~40 MiB of freed Buffers in glibc's heap, which glibc
 * keeps; an appliance should not carry that until the next session. Quiet is measured
 * on traffic, not on open channels: the server keeps a browser connection's channel
 * open between its requests. Trimming costs a few ms, so it runs once per quiet spell, and
 * no timer runs while nothing is relayed.
 */
export class IdleHeapTrim {
  private activeSinceCheck = false;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly trim: () => boolean,
    private readonly log: Logger,
    private readonly idleMs = IDLE_TRIM_MS,
  ) {}

  /** Counts every chunk `stream` carries as traffic. */
  watch(stream: ChunkSource): void {
    stream.on('data', () => this.touch());
  }

  /** Notes traffic now. */
  touch(): void {
    this.activeSinceCheck = true;
    this.timer ??= this.clock.setTimeout(() => this.check(), this.idleMs);
  }

  /** Drops a pending trim (the agent is stopping). */
  cancel(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    if (this.activeSinceCheck) {
      this.activeSinceCheck = false;
      this.timer = this.clock.setTimeout(() => this.check(), this.idleMs);
      return;
    }
    const released = this.trim();
    this.log.debug({ released }, 'trimmed the C heap after relayed traffic stopped');
  }
}
