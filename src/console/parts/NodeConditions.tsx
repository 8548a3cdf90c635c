import { useEffect } from 'preact/hooks';
import type { ConditionState, NodeConditionsView } from '../../shared/conditions.js';
import { api } from '../api.js';
import { localTime, relativeTime } from '../format.js';
import { PageState } from './PageState.js';
import { useLoad } from './useLoad.js';

/** How often the page asks again: a state change reaches the server the moment the node sees it. */
const REFRESH_MS = 10_000;
/** Recent changes shown under the table. */
const CHANGES = 10;

const badge: Record<ConditionState['state'], string> = { ok: 'badge-online', firing: 'badge-revoked', error: 'badge-pending', refused: 'badge-offline' };

/** The node's condition rules as it reports them (its operator's and the administrators'), and their latest changes. */
export function NodeConditions(p: { nodeId: string }) {
  const view = useLoad(() => api<NodeConditionsView>('GET', `/v1/nodes/${encodeURIComponent(p.nodeId)}/conditions?limit=${CHANGES}`), [p.nodeId]);
  useEffect(() => {
    const timer = window.setInterval(() => void view.reload(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [view.reload]);
  if (!view.data) return <PageState error={view.error} loading />;
  const { states, history } = view.data;
  if (states.length === 0) return <p class="muted">The node reports no condition rules ("burrow node conditions add" on the node, "burrow admin node condition add" here).</p>;
  return (
    <>
      <table class="grid" aria-label="Conditions">
        <thead>
          <tr>
            <th>Condition</th>
            <th>Defined by</th>
            <th>State</th>
            <th>Value</th>
            <th>Since</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {states.map((s) => (
            <tr key={`${s.origin}:${s.name}`} data-condition={s.name}>
              <td>
                <code>{s.name}</code> <span class="muted">{s.kind}</span>
              </td>
              <td>{s.origin === 'admin' ? 'administrator' : 'node operator'}</td>
              <td>
                <span class={`badge ${badge[s.state]}`} data-state={s.state}>
                  {s.state}
                </span>
              </td>
              <td>{s.value ?? '—'}</td>
              <td title={localTime(s.since)}>{relativeTime(s.since)}</td>
              <td>{s.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {history.length > 0 && (
        <details>
          <summary>Recent changes</summary>
          <ul>
            {history.map((h, i) => (
              <li key={i}>
                {localTime(h.at)}: <code>{h.name}</code> {h.state} ({h.detail})
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
