import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { localTime, relativeTime, remaining } from '../format.js';
import { notify } from '../notices.js';
import { openedHere } from '../openSession.js';
import { DataTable } from '../parts/DataTable.js';
import { TcpCommand } from '../parts/TcpCommand.js';
import type { Node, Session } from '../types.js';

/** Re-renders every second while mounted, for countdowns. */
function useTick(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** Open and queued sessions with their remaining time, extend and close. */
export function SessionTable(p: { sessions: Session[]; nodes: Node[]; onChanged: () => void; canOperate: boolean }) {
  const now = useTick();
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const live = p.sessions.filter((s) => s.state === 'open' || s.state === 'queued');

  const act = async (s: Session, what: 'extend' | 'close') => {
    const name = nodes.get(s.nodeId)?.name ?? s.nodeId;
    try {
      if (what === 'extend') {
        const v = await api<Session>('POST', `/v1/sessions/${encodeURIComponent(s.id)}/extend`);
        notify('ok', `Session on ${name} extended until ${localTime(v.expiresAt)}.`);
      } else {
        await api('DELETE', `/v1/sessions/${encodeURIComponent(s.id)}`);
        openedHere.delete(s.id);
        notify('ok', `Session on ${name} closed.`);
      }
      p.onChanged();
    } catch (err) {
      notify('error', `Could not ${what} the session on ${name}: ${errorText(err)}`);
    }
  };

  return (
    <DataTable
      label="Sessions"
      columns={['Node', 'Service', 'User', 'State', 'Opened', 'Time left']}
      actions
      rows={live}
      empty="No open or queued sessions."
      row={(s) => {
        const node = nodes.get(s.nodeId);
        const url = openedHere.get(s.id);
        return (
          <tr key={s.id} data-session={s.id}>
            <td>{node ? <a href={`#/nodes/${encodeURIComponent(node.id)}`}>{node.name}</a> : (s.node ?? s.nodeId)}</td>
            <td>{s.service}</td>
            <td>{s.user ?? '—'}</td>
            <td>
              {s.state === 'queued' ? (
                <span class="badge badge-pending">queued{node?.nextCheckIn ? `, expected check-in ${relativeTime(node.nextCheckIn, now)}` : ', waiting for the node'}</span>
              ) : (
                <span class="badge badge-online">open</span>
              )}
            </td>
            <td>{relativeTime(s.openedAt, now)}</td>
            <td>
              <span class="countdown" aria-label={`${remaining(s.expiresAt, now)} left`}>
                {remaining(s.expiresAt, now)}
              </span>
            </td>
            <td class="actions">
              {s.type === 'tcp' && s.state === 'open' && <TcpCommand node={node?.name ?? s.nodeId} service={s.service} session={s.id} />}
              {url && s.state === 'open' && s.type !== 'tcp' && (
                <a class="button" href={url} target="_blank" rel="noopener noreferrer">
                  Open WebUI
                </a>
              )}
              {p.canOperate && s.state === 'open' && (
                <button type="button" onClick={() => void act(s, 'extend')}>
                  Extend
                </button>
              )}
              {p.canOperate && (
                <button type="button" class="danger" onClick={() => void act(s, 'close')}>
                  Close
                </button>
              )}
            </td>
          </tr>
        );
      }}
    />
  );
}
