import { EventEmitter } from 'node:events';
import type { ClusterBus, ClusterTopics } from '../cluster/clusterBus.js';

/** One `approval` message of the bus, as consoles are told of it. */
export type ApprovalBoardEvent = ClusterTopics['approval'];

/** The most requests the board remembers as waiting; a node caps its own at 50. */
const MAX_WAITING = 5_000;

/**
 * The requests for approval on site waiting now, on every instance, as the `approval` topic of
 * the cluster bus tells them: a console that connects is shown what already waits, then each
 * change (`change` events). An instance declared dead takes its requests with it (its broker
 * can no longer withdraw them; their nodes reconnect elsewhere and forget them).
 */
export class ApprovalBoard extends EventEmitter {
  private readonly waiting = new Map<string, { event: ApprovalBoardEvent; origin: string }>();
  private readonly unsubscribe: (() => void)[];

  constructor(bus: ClusterBus) {
    super();
    this.setMaxListeners(0);
    this.unsubscribe = [
      bus.subscribe('approval', (m, origin) => {
        if (m.event === 'approval.waiting') {
          if (this.waiting.size >= MAX_WAITING) return;
          this.waiting.set(m.notice.id, { event: m, origin });
        } else this.waiting.delete(m.notice.id);
        this.emit('change', m);
      }),
      bus.subscribe('instance.dead', ({ instanceId }) => {
        for (const [id, w] of this.waiting) {
          if (w.origin !== instanceId) continue;
          this.waiting.delete(id);
          this.emit('change', { event: 'approval.withdrawn', groupId: w.event.groupId, notice: { ...w.event.notice, outcome: 'withdrawn', reason: 'the server instance asking was lost' } } satisfies ApprovalBoardEvent);
        }
      }),
    ];
  }

  /** The requests waiting now, oldest first, each with its node's group. */
  current(): ApprovalBoardEvent[] {
    return [...this.waiting.values()].map((w) => w.event);
  }

  /** Stops following the bus. */
  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }
}
