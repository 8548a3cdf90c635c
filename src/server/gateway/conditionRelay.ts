import type { Clock } from '../../shared/clock.js';
import type { ConditionRule, ConditionState } from '../../shared/conditions.js';
import type { Database } from '../store/database.js';
import { listNodeConditionRules, recordConditionStates } from '../store/conditionStore.js';

/** State changes kept per node. */
export const CONDITION_HISTORY_KEEP = 200;

/**
 * The status channel's part in condition monitoring, one per connection: stores the states
 * the node reports, and hands the administrators' rules to the next reply whenever this
 * connection has not seen the current set (at its first line, and after every change).
 */
export class ConditionRelay {
  private sent: string | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly d: { db: Database; clock: Clock },
  ) {}

  /** Keeps the states the node reported. */
  async store(states: readonly ConditionState[]): Promise<void> {
    await this.d.db.transaction((tx) => recordConditionStates(tx, this.nodeId, states, this.d.clock.now(), CONDITION_HISTORY_KEEP));
  }

  /** The rules to send with the next reply, when they differ from what this connection sent. */
  async pending(): Promise<{ conditionRules?: ConditionRule[] }> {
    const rules = (await listNodeConditionRules(this.d.db, this.nodeId)).map((r) => r.rule);
    const text = JSON.stringify(rules);
    if (text === this.sent) return {};
    this.sent = text;
    return { conditionRules: rules };
  }
}
