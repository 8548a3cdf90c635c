/** One timed event of a recording: output, or the terminal taking a new size. */
export type CastEvent = { time: number; kind: 'o'; data: string } | { time: number; kind: 'r'; cols: number; rows: number };

/** A parsed asciinema v2 recording. */
export interface Cast {
  width: number;
  height: number;
  title: string | undefined;
  /** Seconds from start to the last event. */
  duration: number;
  events: CastEvent[];
}

/**
 * Reads an asciinema v2 file: a JSON header line, then `[seconds, "o" | "r", data]` lines.
 * Other event kinds (input, markers) are skipped; a malformed line is an error, since a
 * replay that silently drops output would misreport the session.
 */
export function parseCast(text: string): Cast {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = JSON.parse(lines[0] ?? 'null') as { version?: unknown; width?: unknown; height?: unknown; title?: unknown } | null;
  if (!header || header.version !== 2) throw new Error('not an asciinema v2 recording');
  const events: CastEvent[] = [];
  for (const [i, line] of lines.slice(1).entries()) {
    const e = JSON.parse(line) as unknown;
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string' || typeof e[2] !== 'string') throw new Error(`line ${i + 2} of the recording is not an event`);
    const [time, kind, data] = e as [number, string, string];
    if (kind === 'o') events.push({ time, kind, data });
    else if (kind === 'r') {
      const m = /^(\d+)x(\d+)$/.exec(data);
      if (m) events.push({ time, kind, cols: Number(m[1]), rows: Number(m[2]) });
    }
  }
  return {
    width: typeof header.width === 'number' ? header.width : 80,
    height: typeof header.height === 'number' ? header.height : 24,
    title: typeof header.title === 'string' ? header.title : undefined,
    duration: events[events.length - 1]?.time ?? 0,
    events,
  };
}
