import { localTime } from '../format.js';
import type { NodeStatusView } from '../types.js';

/** One report of a node's status history, as GET /v1/nodes/:id/status lists it. */
type Report = NodeStatusView['history'][number];

/** One measured line of the chart: how to read it off a report, its scale and its unit. */
interface Series {
  id: string;
  label: string;
  value: (r: Report) => number | undefined;
  /** The top of the scale for these values. */
  top: (values: number[]) => number;
  format: (v: number) => string;
}

const used = (total: number, free: number) => (total > 0 ? (100 * (total - free)) / total : undefined);
const percent = (v: number) => `${Math.round(v)}%`;

const SERIES: Series[] = [
  { id: 'load', label: 'Load (1 min)', value: (r) => r.load[0], top: (vs) => Math.max(1, ...vs) * 1.25, format: (v) => v.toFixed(2) },
  { id: 'memory', label: 'Memory used', value: (r) => used(r.memory.totalBytes, r.memory.freeBytes), top: () => 100, format: percent },
  { id: 'disk', label: 'Disk used', value: (r) => (r.disk ? used(r.disk.totalBytes, r.disk.freeBytes) : undefined), top: () => 100, format: percent },
];

const WIDTH = 300;
const HEIGHT = 36;

/** One series as a line over time, with its latest value and range in words for screen readers. */
function Sparkline(p: { series: Series; reports: readonly Report[]; first: number; span: number }) {
  const points = p.reports.flatMap((r) => {
    const v = p.series.value(r);
    return v === undefined ? [] : [{ t: Date.parse(r.at), v }];
  });
  const last = points[points.length - 1];
  if (!last) return null;
  const values = points.map((x) => x.v);
  const top = p.series.top(values);
  const px = (x: { t: number }) => (((x.t - p.first) / p.span) * WIDTH).toFixed(1);
  const py = (x: { v: number }) => (HEIGHT - 2 - (Math.min(x.v, top) / top) * (HEIGHT - 4)).toFixed(1);
  const { format } = p.series;
  const summary = `${p.series.label}: ${points.length} ${points.length === 1 ? 'report' : 'reports'}, from ${format(Math.min(...values))} to ${format(Math.max(...values))}, latest ${format(last.v)}`;
  return (
    <tr data-series={p.series.id}>
      <th scope="row">{p.series.label}</th>
      <td>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={summary}>
          <rect x="0" y="0" width={WIDTH} height={HEIGHT} class="history-bg" />
          {points.length === 1 ? <circle cx={px(last)} cy={py(last)} r="2" class="history-dot" /> : <polyline points={points.map((x) => `${px(x)},${py(x)}`).join(' ')} class="history-line" />}
        </svg>
      </td>
      <td class="history-latest">{format(last.v)}</td>
    </tr>
  );
}

/** Small charts of a node's load, memory and disk over its recent status reports (given newest first). */
export function HistoryChart(p: { history: readonly Report[] }) {
  const reports = [...p.history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = reports[0];
  const last = reports[reports.length - 1];
  if (!first || !last) return <p class="muted">No status reports yet.</p>;
  const start = Date.parse(first.at);
  const span = Math.max(1, Date.parse(last.at) - start);
  return (
    <figure class="history">
      <table class="history-series">
        <tbody>
          {SERIES.map((s) => (
            <Sparkline key={s.id} series={s} reports={reports} first={start} span={span} />
          ))}
        </tbody>
      </table>
      <figcaption>
        {reports.length} {reports.length === 1 ? 'report' : 'reports'} from {localTime(first.at)} to {localTime(last.at)}.
      </figcaption>
    </figure>
  );
}
