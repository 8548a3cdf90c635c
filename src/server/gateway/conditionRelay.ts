import type { Clock } from '../../shared/clock.js';
import type { ConditionRule, ConditionState } from '../../shared/conditions.js';
import type { Database } from '../store/database.js';
import { listNodeConditionRules, recordConditionStates } from '../store/conditionStore.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';

/** State changes kept per node. */
export const CONDITION_HISTORY_KEEP = 200;
/**
 * Condition writes one connection may make per minute (in a burst). A node past it is still
 * answered; its states are stored with the next line let through, which carries them all.
 */
export const CONDITION_WRITES_PER_MINUTE = 30;

/**
 * The status channel's part in condition monitoring, one per connection: stores the states
 * the node reports, and hands the administrators' rules to the next reply whenever this
 * connection has not seen the current set (at its first line, and after every change).
 */
export class ConditionRelay {
  private sent: string | undefined;
  private readonly budget: NodeWriteBudget;

  constructor(
    private readonly nodeId: string,
    private readonly d: { db: Database; clock: Clock },
  ) {
    this.budget = new NodeWriteBudget(d.clock, CONDITION_WRITES_PER_MINUTE);
  }

  /** Keeps the states the node reported, within the connection's write budget. */
  async store(states: readonly ConditionState[]): Promise<void> {
    if (!this.budget.take(this.nodeId).ok) return;
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
