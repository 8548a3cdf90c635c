import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { localTime, relativeTime } from '../format.js';
import { useLive, type LiveEvent } from '../live.js';
import { notify } from '../notices.js';
import { openSession } from '../openSession.js';
import { ConfirmButton } from '../parts/ConfirmButton.js';
import { isInternalService } from '../../shared/internalServices.js';
import { HistoryChart } from '../parts/HistoryChart.js';
import { NodeBadge } from '../parts/NodeBadge.js';
import { NodeFiles } from '../parts/NodeFiles.js';
import { NodeConditions } from '../parts/NodeConditions.js';
import { NodeApprovalRequests } from '../parts/NodeApprovalRequests.js';
import { NodeBudget } from '../parts/NodeBudget.js';
import { NodeHealth } from '../parts/NodeHealth.js';
import { TcpCommand } from '../parts/TcpCommand.js';
import { PageState } from '../parts/PageState.js';
import { useGroupPaths } from '../parts/useGroupPaths.js';
import { useLoad } from '../parts/useLoad.js';
import { hasRole } from '../roles.js';
import type { Node, NodeStatusView, Session, WhoAmI } from '../types.js';
import { SessionTable } from './SessionTable.js';

/** How many recent reports the page charts (a minute apart for an always-on node: about an hour and a half). */
const HISTORY_REPORTS = 100;
/** How often the page fetches the health of a connected node again (agents report every minute by default). */
const STATUS_REFRESH_MS = 30_000;

/** One node: health with history, a terminal, services to open, its sessions, mode, approval and revocation. */
export function NodeDetailPage(p: { id: string; me: WhoAmI }) {
  const node = useLoad(() => api<Node>('GET', `/v1/nodes/${encodeURIComponent(p.id)}`), [p.id]);
  const groupPath = useGroupPaths();
  const status = useLoad(() => api<NodeStatusView>('GET', `/v1/nodes/${encodeURIComponent(p.id)}/status?limit=${HISTORY_REPORTS}`), [p.id]);
  // Services whose session waits for a person on the node's site to approve it.
  const [awaiting, setAwaiting] = useState<string[]>([]);
  const approval = status.data?.latest?.approval;
  const sessions = useLoad(() => api<Session[]>('GET', '/v1/sessions'), []);
  const [mode, setMode] = useState('');

  const onLive = useCallback(
    (event: LiveEvent, data: unknown) => {
      const d = data as { id: string; nodeId?: string };
      if ((event === 'node.online' || event === 'node.offline') && node.data && d.id === node.data.id) {
        node.set({ ...node.data, ...(data as Node) });
        void status.reload();
      }
      if (event.startsWith('session.') && node.data && d.nodeId === node.data.id) void sessions.reload();
    },
    [node.data, status.reload],
  );
  useLive(onLive);

  // A connected node keeps reporting: keep the figures and the chart current while the page is open.
  const online = node.data?.online === true;
  useEffect(() => {
    if (!online) return undefined;
    const timer = window.setInterval(() => void status.reload(), STATUS_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [online, status.reload]);

  if (!node.data) {
    return (
      <section>
        <h1 tabIndex={-1}>Node {p.id}</h1>
        <PageState error={node.error} loading />
      </section>
    );
  }
  const n = node.data;
  const isAdmin = hasRole(p.me, 'admin');
  const canOperate = hasRole(p.me, 'operator');

  const change = async (what: 'approve' | 'revoke') => {
    try {
      node.set(await api<Node>('POST', `/v1/nodes/${encodeURIComponent(n.id)}/${what}`));
      notify('ok', what === 'revoke' ? `${n.name} is revoked: its tunnel and sessions are closed.` : `${n.name} is approved.`);
    } catch (err) {
      notify('error', `Could not ${what} ${n.name}: ${errorText(err)}`);
    }
  };

  const proposeMode = async (e: Event) => {
    e.preventDefault();
    if (!mode) return;
    try {
      await api('POST', `/v1/nodes/${encodeURIComponent(n.id)}/mode`, { mode });
      notify('ok', `Proposed ${mode} to ${n.name}; the node applies it at its next connection unless its operator locked the mode.`);
      void node.reload();
    } catch (err) {
      notify('error', `Could not propose a mode: ${errorText(err)}`);
    }
  };

  const ownServices = n.services.filter((s) => !isInternalService(s));
  return (
    <section>
      <p>
        <a href="#/nodes">← All nodes</a>
      </p>
      <h1 tabIndex={-1}>
        {n.name} <NodeBadge node={n} />
      </h1>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{n.id}</code>
        </dd>
        <dt>Group</dt>
        <dd>{groupPath(n.group)}</dd>
        <dt>Mode</dt>
        <dd>{n.mode ?? '—'}{n.proposedMode ? ` (proposed: ${n.proposedMode})` : ''}</dd>
        <dt>{n.online ? 'Connected' : 'Last seen'}</dt>
        <dd>{n.online ? 'now' : `${relativeTime(n.lastSeen)} (${localTime(n.lastSeen)})`}</dd>
        {n.nextCheckIn !== undefined && (
          <>
            <dt>Next check-in</dt>
            <dd>{n.nextCheckIn ? `${relativeTime(n.nextCheckIn)} (${localTime(n.nextCheckIn)})` : '—'}</dd>
          </>
        )}
        <dt>Approval on site</dt>
        <dd data-fact="approval">{approval?.enabled ? `required (a person on site has ${Math.round(approval.timeoutMs / 60_000) || 1} min to decide)` : 'not required'}</dd>
        <dt>Agent version</dt>
        <dd data-fact="agentVersion">{status.data?.latest?.agentVersion ?? n.agentVersion ?? '—'}</dd>
      </dl>

      <NodeApprovalRequests nodeId={n.id} />

      <h2>Status</h2>
      {status.data ? <NodeHealth latest={status.data.latest} /> : <PageState error={status.error} loading />}
      <h2>Status history</h2>
      {status.data && <HistoryChart history={status.data.history} />}
      <h2>Conditions</h2>
      <NodeConditions nodeId={n.id} />

      {canOperate && n.status === 'approved' && n.online && n.services.includes('shell') && (
        <p class="row">
          <a class="button primary" href={`#/nodes/${encodeURIComponent(n.id)}/terminal`}>
            Terminal
          </a>
          <span class="muted">A shell on {n.name} in the browser; sessions are audited and may be recorded.</span>
        </p>
      )}

      <h2>Services</h2>
      {ownServices.length === 0 ? (
        <p class="muted">The node offers no services of its own (its shell and jobs are reached through the Terminal and jobs).</p>
      ) : (
        <ul class="services">
          {ownServices.map((s) => (
            <li key={s}>
              <code>{s}</code>{' '}
              {n.tcpServices?.includes(s) ? (
                <TcpCommand node={n.name} service={s} />
              ) : canOperate && n.status === 'approved' && (
                <button type="button" disabled={awaiting.includes(s)} onClick={() => {
                  if (approval?.enabled) setAwaiting((a) => [...a, s]);
                  void openSession(n, s).finally(() => setAwaiting((a) => a.filter((x) => x !== s)));
                }}>
                  {s === 'webui' ? 'Open WebUI' : `Open ${s}`}
                </button>
              )}
              {awaiting.includes(s) && <span class="muted approval-wait" role="status">Waiting for approval on site…</span>}
            </li>
          ))}
        </ul>
      )}

      {canOperate && n.online && n.services.includes('files') && <NodeFiles nodeId={n.id} nodeName={n.name} />}

      <NodeBudget nodeId={n.id} nodeName={n.name} canAdmin={isAdmin} />

      <h2>Sessions</h2>
      <SessionTable sessions={(sessions.data ?? []).filter((s) => s.nodeId === n.id)} nodes={[n]} onChanged={() => void sessions.reload()} canOperate={canOperate} />

      {isAdmin && (
        <>
          <h2>Mode</h2>
          <form class="row" onSubmit={proposeMode}>
            <label>
              Propose a connect mode
              <select value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
                <option value="">Choose…</option>
                <option value="always-on">always-on</option>
                <option value="on-demand">on-demand</option>
              </select>
            </label>
            <button type="submit" disabled={!mode}>
              Propose
            </button>
          </form>
          <h2>Access</h2>
          <div class="row">
            {n.status === 'pending' && (
              <button type="button" class="primary" onClick={() => void change('approve')}>
                Approve
              </button>
            )}
            {n.status !== 'revoked' && <ConfirmButton label="Revoke" confirm={`Revoke ${n.name}? It disconnects now and cannot reconnect.`} onConfirm={() => change('revoke')} />}
          </div>
        </>
      )}
    </section>
  );
}
