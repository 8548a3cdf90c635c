import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { ConditionOrigin, ConditionRule, ConditionState } from '../../shared/conditions.js';
import type { Logger } from '../../shared/log.js';
import { conditionEvaluator, type ConditionEvaluator, type EvaluatorDeps, type Finding } from './conditionEvaluator.js';

/** A rule to watch, who defined it, and (for an administrator's rule) how its files are opened. */
export interface WatchedRule {
  rule: ConditionRule;
  origin: ConditionOrigin;
  files?: Pick<EvaluatorDeps, 'openLog' | 'readValueFile' | 'compilePattern'>;
}

/** An administrator's rule the node did not accept, and why. */
export interface RefusedRule {
  name: string;
  kind: ConditionRule['kind'];
  reason: string;
}

/** Dependencies of the monitor. */
export interface ConditionMonitorDeps extends Pick<EvaluatorDeps, 'statusValue'> {
  clock: Clock;
  log: Logger;
  /** Called when a state changes (ok, firing, error): every state now, and the rules that began firing. */
  onChange: (states: ConditionState[], nowFiring: WatchedRule[]) => void;
}

interface Entry {
  key: string;
  watched: WatchedRule;
  evaluator: ConditionEvaluator;
  timer?: TimerHandle;
  state: ConditionState;
}

const keyOf = (w: WatchedRule) => JSON.stringify([w.origin, w.rule]);

/**
 * Evaluates the node's condition rules on the clock, each every `everyMs`, and keeps each
 * one's state (ok, firing, error) with the value that decided it and since when. A change
 * of state is told at once through `onChange`; the current states go with every report.
 * Rules that did not change keep their evaluator (a followed log keeps its window).
 */
export class ConditionMonitor {
  private entries = new Map<string, Entry>();
  private refused: ConditionState[] = [];
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly d: ConditionMonitorDeps) {}

  /** Replaces the rules watched; `refused` are an administrator's rules shown as refused. */
  setRules(rules: WatchedRule[], refused: RefusedRule[] = []): void {
    if (this.closed) return;
    const since = new Date(this.d.clock.now()).toISOString();
    const before = JSON.stringify(this.refused.map((r) => [r.name, r.detail]));
    this.refused = refused.map((r) => ({ name: r.name, origin: 'admin', kind: r.kind, state: 'refused', value: null, since: this.refused.find((x) => x.name === r.name && x.detail === r.reason)?.since ?? since, detail: r.reason.slice(0, 300) }));
    const wanted = new Map(rules.map((w) => [w.rule.name, w]));
    let changed = before !== JSON.stringify(this.refused.map((r) => [r.name, r.detail]));
    for (const [name, e] of this.entries) {
      const w = wanted.get(name);
      if (w && keyOf(w) === e.key) continue;
      this.drop(name, e);
      changed = true;
    }
    for (const [name, w] of wanted) {
      if (this.entries.has(name)) continue;
      const entry: Entry = {
        key: keyOf(w),
        watched: w,
        evaluator: conditionEvaluator(w.rule, { clock: this.d.clock, statusValue: this.d.statusValue, ...w.files }),
        state: { name, origin: w.origin, kind: w.rule.kind, state: 'ok', value: null, since, detail: 'not evaluated yet' },
      };
      this.entries.set(name, entry);
      this.schedule(entry, 0);
    }
    if (changed) this.d.onChange(this.states(), []);
  }

  /** Every rule's state now, refused ones included, by name. */
  states(): ConditionState[] {
    return [...[...this.entries.values()].map((e) => e.state), ...this.refused].sort((a, b) => a.name.localeCompare(b.name));
  }

  private schedule(e: Entry, ms: number): void {
    e.timer = this.d.clock.setTimeout(() => {
      const run = this.run(e);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, ms);
  }

  /** Resolves once the evaluations running now are done (for tests, after advancing the clock). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async run(e: Entry): Promise<void> {
    let f: Finding;
    try {
      f = await e.evaluator.evaluate();
    } catch (err) {
      f = { state: 'error', value: null, detail: (err as Error).message };
    }
    // Removed or replaced while it ran: its finding no longer belongs to any rule.
    if (this.closed || this.entries.get(e.state.name) !== e) return;
    const changed = f.state !== e.state.state || e.state.detail === 'not evaluated yet';
    e.state = { ...e.state, state: f.state, value: f.value, detail: f.detail.slice(0, 300), ...(f.state !== e.state.state ? { since: new Date(this.d.clock.now()).toISOString() } : {}) };
    if (changed) {
      this.d.log.info({ condition: e.state.name, state: f.state, value: f.value }, 'condition state changed');
      this.d.onChange(this.states(), f.state === 'firing' ? [e.watched] : []);
    }
    this.schedule(e, e.watched.rule.everyMs);
  }

  private drop(name: string, e: Entry): void {
    if (e.timer) this.d.clock.clearTimeout(e.timer);
    this.entries.delete(name);
    void e.evaluator.close();
  }

  /** Stops every evaluation and closes followed files; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [name, e] of this.entries) this.drop(name, e);
  }
}
