import type { Logger } from './log.js';

/**
 * A lifecycle as a string union with an explicit table of allowed moves. Illegal moves
 * throw, so a bug shows up where it happens instead of as a leaked timer or socket.
 */
export class StateMachine<S extends string> {
  private current: S;

  constructor(
    initial: S,
    private readonly allowed: Readonly<Record<S, readonly S[]>>,
    private readonly log?: Logger,
    private readonly onChange?: (from: S, to: S) => void,
  ) {
    this.current = initial;
  }

  /** The state now. */
  get state(): S {
    return this.current;
  }

  /** Whether moving to `to` is allowed from here. */
  can(to: S): boolean {
    return this.allowed[this.current].includes(to);
  }

  /** Moves to `to`, or throws if the table does not allow it. */
  transition(to: S): void {
    const from = this.current;
    if (!this.can(to)) throw new Error(`illegal state transition ${from} -> ${to}`);
    this.current = to;
    this.log?.debug({ from, to }, 'state');
    this.onChange?.(from, to);
  }
}
