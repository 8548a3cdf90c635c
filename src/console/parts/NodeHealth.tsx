import { bytes, duration, localTime, relativeTime } from '../format.js';
import type { NodeStatusView } from '../types.js';

/** Used of total, as "3.1 GiB of 7.7 GiB used (40%)". */
function usage(total: number, free: number): string {
  const pct = total > 0 ? Math.round((100 * (total - free)) / total) : 0;
  return `${bytes(total - free)} of ${bytes(total)} used (${pct}%)`;
}

/** The node's latest health report: when, uptime, load, memory, disk, and which services answer (the page shows the agent version). */
export function NodeHealth(p: { latest: NodeStatusView['latest'] }) {
  const r = p.latest;
  if (!r) return <p class="muted">No status report yet: the node reports when it connects.</p>;
  const services = Object.entries(r.services);
  return (
    <dl class="facts health">
      <dt>Reported</dt>
      <dd>
        {relativeTime(r.at)} ({localTime(r.at)})
      </dd>
      <dt>Uptime</dt>
      <dd data-fact="uptime">{duration(r.uptimeSeconds)}</dd>
      <dt>Load (1, 5, 15 min)</dt>
      <dd data-fact="load">{r.load.map((x) => x.toFixed(2)).join(' · ')}</dd>
      <dt>Memory</dt>
      <dd data-fact="memory">{usage(r.memory.totalBytes, r.memory.freeBytes)}</dd>
      <dt>Disk</dt>
      <dd data-fact="disk">{r.disk ? `${usage(r.disk.totalBytes, r.disk.freeBytes)} on ${r.disk.path}` : 'not reported'}</dd>
      <dt>Service reachability</dt>
      <dd data-fact="services">
        {services.length === 0 ? (
          <span class="muted">no services configured</span>
        ) : (
          <ul class="reachability">
            {services.map(([name, s]) => (
              <li key={name} data-service={name}>
                <code>{name}</code>{' '}
                <span class={`badge ${s.reachable ? 'badge-online' : 'badge-revoked'}`}>{s.reachable ? 'reachable' : 'unreachable'}</span>
                {!s.reachable && s.error ? <span class="muted"> ({s.error})</span> : null}
              </li>
            ))}
          </ul>
        )}
      </dd>
    </dl>
  );
}
