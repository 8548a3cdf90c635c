import type { Clock, TimerHandle } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { StateMachine } from '../shared/stateMachine.js';
import type { NodeConfig } from '../shared/config.js';
import { ConnectSchedule } from './connectSchedule.js';

/** How the node connects: all the time, or at scheduled check-ins. */
export type ConnectMode = { mode: 'always-on' } | { mode: 'on-demand'; schedule: ConnectSchedule };

/** The connect mode node.json asks for; throws a VALIDATION error for a bad schedule. */
export function connectModeOf(config: Pick<NodeConfig, 'mode' | 'schedule'>): ConnectMode {
  if (config.mode === 'always-on' || !config.schedule) return { mode: 'always-on' };
  return { mode: 'on-demand', schedule: new ConnectSchedule(config.schedule) };
}

/** One tunnel lifecycle (a TunnelAgent), as the controller drives it. */
export interface Link {
  start(): void;
  /** Resolves once the link's tunnel is down. */
  stop(): void | Promise<void>;
  /** Whether the server said, at its last reply, that it holds work for this node. */
  readonly serverHoldsWork: boolean;
}

/** What the controller is doing about the connection. */
export type ControllerState = 'idle' | 'always-on' | 'sleeping' | 'checking-in' | 'holding' | 'stopped';

/** Allowed moves between controller states; tested as a table. */
export const controllerTransitions: Record<ControllerState, ControllerState[]> = {
  idle: ['always-on', 'sleeping', 'checking-in', 'stopped'],
  'always-on': ['sleeping', 'checking-in', 'holding', 'stopped'],
  sleeping: ['always-on', 'checking-in', 'stopped'],
  'checking-in': ['always-on', 'sleeping', 'holding', 'stopped'],
  holding: ['always-on', 'sleeping', 'checking-in', 'stopped'],
  stopped: [],
};

/** What the controller reports on each change, for the status file. */
export interface ControllerReport {
  mode: ConnectMode['mode'];
  state: ControllerState;
  nextCheckInAt: number | null;
  lastCheckInAt: number | null;
}

/** Dependencies of the controller. */
export interface ConnectModeControllerDeps {
  clock: Clock;
  log: Logger;
  /** Makes a fresh link; a stopped link is never started again. */
  createLink: () => Link;
  /** How often to ask again whether the server still holds work, past a check-in's end. */
  holdCheckMs: number;
  onReport?: (r: ControllerReport) => void;
}

/**
 * Re-reads the schedule at least this often while asleep, so that a wall-clock jump
 * (NTP step, suspended VM) does not make a node miss a whole window.
 */
const MAX_SLEEP_MS = 60_000;

/**
 * Decides when the node is connected. Always-on: one link, kept up by TunnelAgent's own
 * reconnects. On-demand: a fresh link at each check-in of the schedule, stopped after
 * the duration unless the server holds work for the node, in which case it stays until
 * that is done. A new mode takes effect at once.
 */
export class ConnectModeController {
  private readonly lifecycle: StateMachine<ControllerState>;
  private mode: ConnectMode = { mode: 'always-on' };
  private link?: Link;
  /** Links stopped whose tunnels are still closing. */
  private readonly goingDown = new Set<Promise<void>>();
  private timer?: TimerHandle;
  private nextCheckInAt: number | null = null;
  private lastCheckInAt: number | null = null;
  /** The end of a check-in made outside the schedule (a condition fired), if one runs. */
  private extraCheckInUntil: number | null = null;

  constructor(private readonly deps: ConnectModeControllerDeps) {
    if (!(deps.holdCheckMs > 0)) throw new RangeError('holdCheckMs must be positive');
    this.lifecycle = new StateMachine<ControllerState>('idle', controllerTransitions, deps.log, () => this.report());
  }

  /** The state now. */
  get state(): ControllerState {
    return this.lifecycle.state;
  }

  /** Whether a link is running now. */
  get linked(): boolean {
    return this.link !== undefined;
  }

  /** Starts in `mode`. */
  start(mode: ConnectMode): void {
    this.mode = mode;
    this.evaluate();
  }

  /** Switches to `mode` without dropping a link the new mode also wants. */
  setMode(mode: ConnectMode): void {
    if (this.lifecycle.state === 'stopped') return;
    this.deps.log.info({ mode: mode.mode }, 'connect mode changed');
    this.mode = mode;
    this.evaluate();
  }

  /**
   * Replaces the running link with a fresh one once the old one is down (what it announces
   * changed, e.g. the services); nothing when no link runs.
   */
  async relink(): Promise<void> {
    if (!this.link || this.lifecycle.state === 'stopped') return;
    this.dropLink();
    await Promise.all([...this.goingDown]);
    if ((this.lifecycle.state as ControllerState) !== 'stopped' && !this.link) this.ensureLink();
  }

  private evaluate(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.deps.clock.now();
    if (this.mode.mode === 'always-on') {
      this.nextCheckInAt = null;
      this.ensureLink();
      this.go('always-on');
      return;
    }
    const schedule = this.mode.schedule;
    const extra = this.extraCheckInUntil !== null && this.extraCheckInUntil > now ? this.extraCheckInUntil : null;
    const end = schedule.checkInEndingAfter(now) ?? extra;
    if (end !== null) {
      this.lastCheckInAt = end - schedule.spec.durationMs;
      this.ensureLink();
      this.nextCheckInAt = schedule.nextCheckIn(end);
      this.go('checking-in');
      this.wake(end - now, () => this.onCheckInOver());
      return;
    }
    if (this.link?.serverHoldsWork) {
      this.hold();
      return;
    }
    this.dropLink();
    this.nextCheckInAt = schedule.nextCheckIn(now);
    this.go('sleeping');
    if (this.nextCheckInAt !== null) this.wake(Math.min(this.nextCheckInAt - now, MAX_SLEEP_MS), () => this.evaluate());
  }

  /**
   * Connects now, outside the schedule, for one check-in's duration (a condition fired and
   * the server must hear of it); afterwards the node follows its schedule again, staying
   * longer only while the server holds work, as after any check-in. False when always-on,
   * stopped, or already connected.
   */
  checkInNow(): boolean {
    const state = this.lifecycle.state;
    if (this.mode.mode !== 'on-demand' || state === 'stopped' || this.link) return false;
    this.extraCheckInUntil = this.deps.clock.now() + this.mode.schedule.spec.durationMs;
    this.deps.log.info('checking in outside the schedule');
    this.evaluate();
    return true;
  }

  private onCheckInOver(): void {
    if (this.link?.serverHoldsWork) this.hold();
    else this.evaluate();
  }

  /** Stays connected past the check-in because the server holds work; asks again soon. */
  private hold(): void {
    if (this.lifecycle.state !== 'holding') this.deps.log.info('staying connected: the server holds work for this node');
    this.go('holding');
    this.wake(this.deps.holdCheckMs, () => this.evaluate());
  }

  private ensureLink(): void {
    if (this.link) return;
    this.link = this.deps.createLink();
    this.link.start();
  }

  private dropLink(): void {
    const going = this.link?.stop();
    this.link = undefined;
    if (going) {
      this.goingDown.add(going);
      void going.finally(() => this.goingDown.delete(going));
    }
  }

  private wake(ms: number, fn: () => void): void {
    this.timer = this.deps.clock.setTimeout(fn, Math.max(0, ms));
  }

  private go(to: ControllerState): void {
    if (this.lifecycle.state === to) this.report();
    else this.lifecycle.transition(to);
  }

  private report(): void {
    this.deps.onReport?.({ mode: this.mode.mode, state: this.lifecycle.state, nextCheckInAt: this.nextCheckInAt, lastCheckInAt: this.lastCheckInAt });
  }

  /** Stops for good: drops the link and every timer; resolves once every link it dropped is down. Idempotent. */
  async stop(): Promise<void> {
    if (this.lifecycle.state !== 'stopped') {
      if (this.timer) this.deps.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.dropLink();
      this.lifecycle.transition('stopped');
    }
    await Promise.all([...this.goingDown]);
  }
}
