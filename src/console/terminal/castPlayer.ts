import type { Terminal } from '@xterm/xterm';
import type { Cast } from './asciicast.js';

/** Where a replay stands. */
export interface PlayerState {
  playing: boolean;
  done: boolean;
  /** Recording time reached, in seconds. */
  at: number;
}

/** Pauses longer than this (seconds) are shortened: nobody wants to watch an idle prompt. */
const IDLE_LIMIT = 2;

/**
 * Plays a recording into a terminal with its own timing, scaled by a speed factor; can
 * pause, jump to the end, and start over. Output goes through xterm, so escape sequences
 * replay exactly as the user saw them.
 */
export class CastPlayer {
  private next = 0;
  private at = 0;
  private speed = 1;
  private playing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly cast: Cast,
    private readonly term: Terminal,
    private readonly report: (s: PlayerState) => void,
  ) {
    this.term.resize(cast.width, cast.height);
  }

  private state(): PlayerState {
    return { playing: this.playing, done: this.next >= this.cast.events.length, at: this.at };
  }

  /** Applies one event and moves past it. */
  private step(): void {
    const e = this.cast.events[this.next++];
    if (!e) return;
    this.at = e.time;
    if (e.kind === 'o') this.term.write(e.data);
    else this.term.resize(e.cols, e.rows);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const e = this.cast.events[this.next];
    if (!this.playing || !e) {
      this.playing = false;
      this.report(this.state());
      return;
    }
    const wait = (Math.min(Math.max(0, e.time - this.at), IDLE_LIMIT) * 1000) / this.speed;
    this.timer = setTimeout(() => {
      this.step();
      this.report(this.state());
      this.schedule();
    }, wait);
  }

  /** Plays from where it stands (from the start after the end). */
  play(): void {
    if (this.next >= this.cast.events.length) this.rewind();
    this.playing = true;
    this.schedule();
  }

  /** Stops where it stands. */
  pause(): void {
    this.playing = false;
    this.schedule();
  }

  /** Replays time at `factor` times its speed. */
  setSpeed(factor: number): void {
    this.speed = factor;
    if (this.playing) this.schedule();
  }

  /** Shows the rest of the recording at once. */
  skipToEnd(): void {
    clearTimeout(this.timer);
    while (this.next < this.cast.events.length) this.step();
    this.playing = false;
    this.report(this.state());
  }

  /** Clears the terminal and goes back to the start, paused. */
  rewind(): void {
    clearTimeout(this.timer);
    this.term.reset();
    this.term.resize(this.cast.width, this.cast.height);
    this.next = 0;
    this.at = 0;
    this.playing = false;
    this.report(this.state());
  }

  /** Stops for good. */
  dispose(): void {
    this.playing = false;
    clearTimeout(this.timer);
  }
}
