/** One point of a node's status history, as far as the console can read it. */
export interface HistoryPoint {
  at: number;
  online: boolean;
}

/**
 * Reads GET /v1/nodes/:id/status leniently: a list of entries (or `{history: [...]}`) with a
 * time (`at`/`time`/`ts`) and an online flag or state. Unknown shapes give no chart.
 */
export function parseHistory(body: unknown): HistoryPoint[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? ((body as Record<string, unknown>).history ?? (body as Record<string, unknown>).samples) : undefined;
  if (!Array.isArray(list)) return [];
  const points: HistoryPoint[] = [];
  for (const e of list as Record<string, unknown>[]) {
    const t = e.at ?? e.time ?? e.ts;
    const at = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN;
    const online = typeof e.online === 'boolean' ? e.online : typeof e.state === 'string' ? e.state === 'online' || e.state === 'connected' : undefined;
    if (!Number.isNaN(at) && online !== undefined) points.push({ at, online });
  }
  return points.sort((a, b) => a.at - b.at);
}

/** A small timeline of online (filled) and offline (empty) stretches, with a text summary. */
export function HistoryChart(p: { points: HistoryPoint[]; now?: number }) {
  const now = p.now ?? Date.now();
  const first = p.points[0];
  if (!first) return <p class="muted">No status history yet.</p>;
  const span = Math.max(1, now - first.at);
  const width = 600;
  const onlineMs = p.points.reduce((sum, pt, i) => sum + (pt.online ? (p.points[i + 1]?.at ?? now) - pt.at : 0), 0);
  const share = Math.round((onlineMs / span) * 100);
  return (
    <figure class="history">
      <svg viewBox={`0 0 ${width} 24`} width="100%" height="24" role="img" aria-label={`Online ${share}% of the time since ${new Date(first.at).toLocaleString()}`}>
        <rect x="0" y="0" width={width} height="24" class="history-off" />
        {p.points.map((pt, i) => {
          if (!pt.online) return null;
          const end = p.points[i + 1]?.at ?? now;
          return <rect key={pt.at} x={((pt.at - first.at) / span) * width} y="0" width={Math.max(1, ((end - pt.at) / span) * width)} height="24" class="history-on" />;
        })}
      </svg>
      <figcaption>
        Online {share}% of the time since {new Date(first.at).toLocaleString()}.
      </figcaption>
    </figure>
  );
}
