/** A calendar date and a wall-clock time of day in some time zone. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  /** Seconds since local midnight. */
  secondOfDay: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of instant `t` (ms) in `timeZone`. */
export function toLocal(t: number, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const year = parts.year as number;
  const month = parts.month as number;
  const day = parts.day as number;
  return {
    year,
    month,
    day,
    secondOfDay: (parts.hour as number) * 3600 + (parts.minute as number) * 60 + (parts.second as number),
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** The zone's offset from UTC at instant `t`, in ms (whole seconds). */
function offsetAt(t: number, timeZone: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  const l = toLocal(whole, timeZone);
  return Date.UTC(l.year, l.month - 1, l.day) + l.secondOfDay * 1000 - whole;
}

/**
 * The instant at which the clocks in `timeZone` show `secondOfDay` on the given date
 * (day and second may overflow; Date.UTC normalizes them). On a DST change day a time
 * shown twice maps to its first occurrence, and a time skipped by the clocks moves
 * forward by the skip (02:30 becomes 03:30, as Temporal's "compatible").
 */
export function fromLocal(year: number, month: number, day: number, secondOfDay: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day) + secondOfDay * 1000;
  // Offsets in force a day either side: one transition at most lies between them.
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const valid = [before, after].map((o) => wall - o).filter((t) => offsetAt(t, timeZone) === wall - t);
  if (valid.length) return Math.min(...valid);
  return wall - before;
}
