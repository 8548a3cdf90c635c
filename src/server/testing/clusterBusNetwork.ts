import { EventEmitter } from 'node:events';
import type { ClusterBus, ClusterListener, ClusterTopic, ClusterTopics } from '../cluster/clusterBus.js';

/**
 * Several instances' buses in one test process: what one member publishes reaches every
 * member, itself included, stamped with its id, in order, as LISTEN/NOTIFY delivers it.
 * Keeps every message it carried, for tests to read.
 */
export class ClusterBusNetwork {
  private readonly emitter = new EventEmitter();
  /** Every message carried so far, oldest first. */
  readonly sent: { topic: ClusterTopic; payload: unknown; origin: string }[] = [];

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** The bus of the instance `instanceId`. */
  member(instanceId: string): ClusterBus {
    const { emitter, sent } = this;
    const mine = new Set<() => void>();
    return {
      instanceId,
      linkState: 'in-process',
      publish<K extends ClusterTopic>(topic: K, payload: ClusterTopics[K]): Promise<void> {
        sent.push({ topic, payload, origin: instanceId });
        emitter.emit(topic, payload, instanceId);
        return Promise.resolve();
      },
      subscribe<K extends ClusterTopic>(topic: K, listener: ClusterListener<K>): () => void {
        const off = () => {
          emitter.off(topic, listener);
          mine.delete(off);
        };
        emitter.on(topic, listener);
        mine.add(off);
        return off;
      },
      close(): Promise<void> {
        for (const off of [...mine]) off();
        return Promise.resolve();
      },
    };
  }

  /** The messages carried on `topic`, with who sent each. */
  on<K extends ClusterTopic>(topic: K): { payload: ClusterTopics[K]; origin: string }[] {
    return this.sent.filter((m) => m.topic === topic).map((m) => ({ payload: m.payload as ClusterTopics[K], origin: m.origin }));
  }
}
