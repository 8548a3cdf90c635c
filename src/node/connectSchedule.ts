import { BurrowError } from '../shared/errors.js';
import { fromLocal, isValidTimeZone, toLocal } from './zonedTime.js';

/** One recurring connect window: on these weekdays, from start to end local time. */
export interface ConnectWindow {
  /** Weekdays the window starts on, 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** Seconds after local midnight. */
  start: number;
  /** Seconds after local midnight; at or before `start` means the window ends the next day. */
  end: number;
}

/** An on-demand schedule: windows in a zone, a check-in every interval lasting duration. */
export interface ScheduleSpec {
  windows: string[];
  timeZone: string;
  intervalMs: number;
  durationMs: number;
}

/** Where an instant falls in the schedule. */
export type ScheduleState =
  | { inWindow: true; windowStart: number; windowEnd: number }
  | { inWindow: false; nextWindowStart: number | null };

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseDay(name: string, spec: string): number {
  const i = DAY_NAMES.indexOf(name.slice(0, 3).toLowerCase());
  if (i < 0 || name.length < 3) throw new BurrowError('VALIDATION', `Window "${spec}": "${name}" is not a weekday (Mon, Tue, … Sun).`);
  return i;
}

function parseDays(text: string, spec: string): number[] {
  if (/^(daily|\*|every day)$/i.test(text)) return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map((s) => s.trim());
    const from = parseDay(a ?? '', spec);
    if (b === undefined) {
      days.add(from);
      continue;
    }
    // "Fri-Mon" wraps over the weekend.
    const to = parseDay(b, spec);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort();
}

function parseTime(text: string, spec: string, allow24: boolean): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  const [h, min, s] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [NaN, NaN, NaN];
  const ok = m && min < 60 && s < 60 && (h < 24 || (allow24 && h === 24 && min === 0 && s === 0));
  if (!ok) throw new BurrowError('VALIDATION', `Window "${spec}": "${text}" is not a time of day (HH:MM or HH:MM:SS).`);
  return h * 3600 + min * 60 + s;
}

/** Parses "Mon-Fri 09:00-18:00", "Sat,Sun 22:00-06:00" or "daily 00:00-24:00". */
export function parseWindow(spec: string): ConnectWindow {
  const m = /^\s*(.+?)\s+(\d{1,2}:\d{2}(?::\d{2})?)\s*-\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$/.exec(spec);
  if (!m) throw new BurrowError('VALIDATION', `Window "${spec}" is not DAYS START-END, e.g. "Mon-Fri 09:00-18:00".`);
  const start = parseTime(m[2] as string, spec, false);
  const end = parseTime(m[3] as string, spec, true);
  if (start === end) throw new BurrowError('VALIDATION', `Window "${spec}" starts and ends at the same time; use 00:00-24:00 for a whole day.`);
  return { days: parseDays(m[1] as string, spec), start, end };
}

/**
 * The on-demand connect schedule. All arithmetic happens on wall-clock times in the
 * schedule's zone and is turned into instants per date, so "09:00" stays 09:00 across
 * DST changes, windows may cross midnight, and a DST day has a 23 or 25 hour window.
 */
export class ConnectSchedule {
  readonly windows: ConnectWindow[];

  constructor(readonly spec: ScheduleSpec) {
    if (!spec.windows.length) throw new BurrowError('VALIDATION', 'An on-demand schedule needs at least one --window.');
    if (!isValidTimeZone(spec.timeZone)) throw new BurrowError('VALIDATION', `"${spec.timeZone}" is not an IANA time zone (e.g. Asia/Tokyo, Europe/Berlin, UTC).`);
    if (!(spec.intervalMs > 0) || !(spec.durationMs > 0)) throw new BurrowError('VALIDATION', 'The interval and the duration must be longer than zero.');
    if (spec.durationMs > spec.intervalMs) throw new BurrowError('VALIDATION', 'The duration must not be longer than the interval.');
    this.windows = spec.windows.map(parseWindow);
  }

  /** Window occurrences that start on local dates from `t`'s date - 1 to + 8 days, by start. */
  private occurrences(t: number): { start: number; end: number }[] {
    const tz = this.spec.timeZone;
    const today = toLocal(t, tz);
    const out: { start: number; end: number }[] = [];
    for (let k = -1; k <= 8; k++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + k));
      const [y, mo, d, wd] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay()];
      for (const w of this.windows) {
        if (!w.days.includes(wd)) continue;
        const start = fromLocal(y, mo, d, w.start, tz);
        const end = fromLocal(y, mo, d + (w.end <= w.start ? 1 : 0), w.end, tz);
        if (end > start) out.push({ start, end });
      }
    }
    return out.sort((a, b) => a.start - b.start);
  }

  /** Whether `t` lies in a window (the one that started last, if windows overlap). */
  stateAt(t: number): ScheduleState {
    const occ = this.occurrences(t);
    let current: { start: number; end: number } | undefined;
    for (const o of occ) {
      if (o.start > t) break;
      if (t < o.end && (!current || o.end > current.end)) current = { start: current?.start ?? o.start, end: o.end };
    }
    if (current) return { inWindow: true, windowStart: current.start, windowEnd: current.end };
    return { inWindow: false, nextWindowStart: occ.find((o) => o.start > t)?.start ?? null };
  }

  /**
   * The first check-in at or after `t`: check-ins fall on window start + k × interval,
   * so every node with the same schedule is predictable for the console.
   */
  nextCheckIn(t: number): number | null {
    const s = this.stateAt(t);
    if (!s.inWindow) return s.nextWindowStart;
    const k = Math.ceil((t - s.windowStart) / this.spec.intervalMs);
    const at = s.windowStart + k * this.spec.intervalMs;
    if (at < s.windowEnd) return at;
    const after = this.stateAt(s.windowEnd);
    return after.inWindow ? after.windowStart : after.nextWindowStart;
  }

  /** When the check-in covering `t` ends, if `t` lies within one (start + duration). */
  checkInEndingAfter(t: number): number | null {
    const s = this.stateAt(t);
    if (!s.inWindow) return null;
    const k = Math.floor((t - s.windowStart) / this.spec.intervalMs);
    const end = s.windowStart + k * this.spec.intervalMs + this.spec.durationMs;
    return t < end ? end : null;
  }
}
