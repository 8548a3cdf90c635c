import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectSchedule, parseWindow } from './connectSchedule.js';
import { fromLocal, toLocal } from './zonedTime.js';

const H = 3_600_000;
const M = 60_000;
const utc = (iso: string) => Date.parse(iso);
const sched = (windows: string[], timeZone: string, intervalMs = 30 * M, durationMs = 5 * M) => new ConnectSchedule({ windows, timeZone, intervalMs, durationMs });

describe('parseWindow', () => {
  it('reads day ranges, lists, wrapping ranges and seconds', () => {
    assert.deepEqual(parseWindow('Mon-Fri 09:00-18:00'), { days: [1, 2, 3, 4, 5], start: 9 * 3600, end: 18 * 3600 });
    assert.deepEqual(parseWindow('sat,sun 22:00-06:00').days, [0, 6]);
    assert.deepEqual(parseWindow('Fri-Mon 10:00-11:00').days, [0, 1, 5, 6]);
    assert.deepEqual(parseWindow('daily 00:00-24:00'), { days: [0, 1, 2, 3, 4, 5, 6], start: 0, end: 86_400 });
    assert.equal(parseWindow('Tue 12:00:05-12:00:20').start, 12 * 3600 + 5);
  });

  it('refuses what it cannot read, saying why', () => {
    assert.throws(() => parseWindow('Mon 9-18'), /not DAYS START-END/);
    assert.throws(() => parseWindow('Funday 09:00-10:00'), /not a weekday/);
    assert.throws(() => parseWindow('Mon 25:00-26:00'), /not a time of day/);
    assert.throws(() => parseWindow('Mon 09:00-09:00'), /same time/);
  });

  it('refuses a bad zone, an empty schedule and a duration longer than the interval', () => {
    assert.throws(() => sched(['Mon 09:00-10:00'], 'Mars/Olympus'), /IANA/);
    assert.throws(() => sched([], 'UTC'), /at least one/);
    assert.throws(() => sched(['Mon 09:00-10:00'], 'UTC', 5 * M, 10 * M), /duration/);
  });
});

describe('zonedTime', () => {
  it('round-trips wall-clock time in a zone', () => {
    const t = fromLocal(2026, 11, 23, 9 * 3600, 'Asia/Tokyo');
    assert.equal(t, utc('2026-11-23T00:00:00Z'));
    assert.deepEqual(toLocal(t, 'Asia/Tokyo'), { year: 2026, month: 11, day: 23, secondOfDay: 9 * 3600, weekday: 1 });
  });

  it('maps a time skipped by spring-forward to just after the skip', () => {
    // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    assert.equal(fromLocal(2026, 3, 29, 2.5 * 3600, 'Europe/Berlin'), utc('2026-03-29T01:30:00Z'));
  });

  it('maps a time shown twice at fall-back to its first occurrence', () => {
    // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
    assert.equal(fromLocal(2026, 10, 25, 2.5 * 3600, 'Europe/Berlin'), utc('2026-10-25T00:30:00Z'));
  });
});

describe('ConnectSchedule', () => {
  const office = sched(['Mon-Fri 09:00-18:00'], 'Asia/Tokyo');

  it('is outside before the window and knows when it opens', () => {
    // Monday 2026-11-23 08:00 JST.
    assert.deepEqual(office.stateAt(utc('2026-11-22T23:00:00Z')), { inWindow: false, nextWindowStart: utc('2026-11-23T00:00:00Z') });
  });

  it('is inside during the window, with its bounds', () => {
    assert.deepEqual(office.stateAt(utc('2026-11-23T03:00:00Z')), { inWindow: true, windowStart: utc('2026-11-23T00:00:00Z'), windowEnd: utc('2026-11-23T09:00:00Z') });
  });

  it('skips the weekend: after Friday 18:00 the next window is Monday 09:00', () => {
    assert.deepEqual(office.stateAt(utc('2026-11-27T09:00:00Z')), { inWindow: false, nextWindowStart: utc('2026-11-30T00:00:00Z') });
  });

  it('checks in at window start + k x interval, and rolls over to the next window', () => {
    assert.equal(office.nextCheckIn(utc('2026-11-23T00:00:00Z')), utc('2026-11-23T00:00:00Z'));
    assert.equal(office.nextCheckIn(utc('2026-11-23T00:00:01Z')), utc('2026-11-23T00:30:00Z'));
    // Friday 17:50 JST: 18:00 is the window's end, not a check-in.
    assert.equal(office.nextCheckIn(utc('2026-11-27T08:50:00Z')), utc('2026-11-30T00:00:00Z'));
  });

  it('knows when the current check-in ends, and that there is none between check-ins', () => {
    assert.equal(office.checkInEndingAfter(utc('2026-11-23T00:32:00Z')), utc('2026-11-23T00:35:00Z'));
    assert.equal(office.checkInEndingAfter(utc('2026-11-23T00:35:00Z')), null);
    assert.equal(office.checkInEndingAfter(utc('2026-11-22T23:59:59Z')), null);
  });

  it('runs a window across midnight into the next day, also when asked after midnight', () => {
    const night = sched(['Sat 22:00-02:00'], 'UTC');
    const expected = { inWindow: true, windowStart: utc('2026-11-28T22:00:00Z'), windowEnd: utc('2026-11-29T02:00:00Z') };
    assert.deepEqual(night.stateAt(utc('2026-11-28T23:00:00Z')), expected);
    assert.deepEqual(night.stateAt(utc('2026-11-29T01:59:59Z')), expected);
    assert.deepEqual(night.stateAt(utc('2026-11-29T02:00:00Z')), { inWindow: false, nextWindowStart: utc('2026-12-05T22:00:00Z') });
  });

  it('takes the union of several windows', () => {
    const two = sched(['Mon 09:00-10:00', 'Mon 14:00-15:00'], 'UTC');
    assert.deepEqual(two.stateAt(utc('2026-11-23T11:00:00Z')), { inWindow: false, nextWindowStart: utc('2026-11-23T14:00:00Z') });
    assert.equal(two.nextCheckIn(utc('2026-11-23T09:45:00Z')), utc('2026-11-23T14:00:00Z'));
  });

  it('keeps 09:00 local across a DST change (Berlin, spring and autumn)', () => {
    const daily = sched(['daily 09:00-10:00'], 'Europe/Berlin');
    assert.equal(daily.nextCheckIn(utc('2026-03-28T12:00:00Z')), utc('2026-03-29T07:00:00Z'));
    assert.equal(daily.nextCheckIn(utc('2026-03-27T12:00:00Z')), utc('2026-03-28T08:00:00Z'));
    assert.equal(daily.nextCheckIn(utc('2026-10-24T12:00:00Z')), utc('2026-10-25T08:00:00Z'));
  });

  it('gives a window spanning spring-forward one hour less, and counts check-ins by real time', () => {
    const w = sched(['Sun 01:00-04:00'], 'Europe/Berlin', H, 5 * M);
    const s = w.stateAt(utc('2026-03-29T00:30:00Z'));
    assert.deepEqual(s, { inWindow: true, windowStart: utc('2026-03-29T00:00:00Z'), windowEnd: utc('2026-03-29T02:00:00Z') });
    assert.deepEqual(checkIns(w, utc('2026-03-28T23:00:00Z'), utc('2026-03-29T03:00:00Z')), [utc('2026-03-29T00:00:00Z'), utc('2026-03-29T01:00:00Z')]);
  });

  it('gives a window spanning fall-back one hour more', () => {
    const w = sched(['Sun 01:00-04:00'], 'Europe/Berlin', H, 5 * M);
    assert.equal(checkIns(w, utc('2026-10-24T22:00:00Z'), utc('2026-10-25T04:00:00Z')).length, 4);
  });

  it('shifts a window that opens inside the skipped hour forward by the skip (New York)', () => {
    // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00 UTC): 02:30 becomes 03:30 EDT, as Temporal's "compatible".
    const w = sched(['Sun 02:30-05:00'], 'America/New_York');
    assert.deepEqual(w.stateAt(utc('2026-03-08T06:59:00Z')), { inWindow: false, nextWindowStart: utc('2026-03-08T07:30:00Z') });
    assert.equal(w.stateAt(utc('2026-03-08T08:59:00Z')).inWindow, true);
  });

  it('handles seconds-long windows, as the e2e tests compress them', () => {
    const w = sched(['daily 12:00:05-12:00:20'], 'UTC', 3000, 1000);
    assert.equal(w.nextCheckIn(utc('2026-11-23T12:00:00Z')), utc('2026-11-23T12:00:05Z'));
    assert.equal(w.nextCheckIn(utc('2026-11-23T12:00:06Z')), utc('2026-11-23T12:00:08Z'));
    assert.equal(w.nextCheckIn(utc('2026-11-23T12:00:18Z')), utc('2026-11-24T12:00:05Z'));
  });
});

/** Every check-in from `from` up to `to`. */
function checkIns(s: ConnectSchedule, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = s.nextCheckIn(from); t !== null && t < to; t = s.nextCheckIn(t + 1)) out.push(t);
  return out;
}
