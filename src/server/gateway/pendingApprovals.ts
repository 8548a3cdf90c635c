import type { Clock } from '../../shared/clock.js';

/** One pending node's wait: resolves true when it is approved, false when the wait ends. */
export interface ApprovalWait {
  approved: Promise<boolean>;
  /** Ends the wait now (the tunnel went away); resolves `approved` with false. */
  cancel(): void;
}

/**
 * Pending nodes waiting, mid sign-in, for an administrator: the gateway holds a pending
 * node's authentication open for a while instead of turning it away at once, and the
 * approve route wakes it here, so an approved node comes online at once instead of at
 * its next knock (every 30 s by default).
 */
export class PendingApprovals {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly clock: Clock) {}

  /** Waits up to `ms` for `nodeId` to be approved. */
  wait(nodeId: string, ms: number): ApprovalWait {
    let settle: (approved: boolean) => void = () => undefined;
    const approved = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const set = this.waiting.get(nodeId) ?? new Set<() => void>();
    this.waiting.set(nodeId, set);
    const end = (result: boolean) => {
      this.clock.clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0 && this.waiting.get(nodeId) === set) this.waiting.delete(nodeId);
      settle(result);
    };
    const wake = () => end(true);
    const timer = this.clock.setTimeout(() => end(false), ms);
    set.add(wake);
    return { approved, cancel: () => end(false) };
  }

  /** An administrator approved `nodeId`: every sign-in of it that waits goes on now. */
  approve(nodeId: string): void {
    for (const wake of [...(this.waiting.get(nodeId) ?? [])]) wake();
  }
}
