import { useCallback } from 'preact/hooks';
import { api } from '../api.js';
import { useLive, type LiveEvent } from '../live.js';
import { notify } from '../notices.js';
import { PageState } from '../parts/PageState.js';
import { useLoad } from '../parts/useLoad.js';
import { hasRole } from '../roles.js';
import type { Node, Session, WhoAmI } from '../types.js';
import { SessionTable } from './SessionTable.js';

/** Every open and queued session the user can see, kept current by live events. */
export function SessionsPage(p: { me: WhoAmI }) {
  const sessions = useLoad(() => api<Session[]>('GET', '/v1/sessions'), []);
  const nodes = useLoad(() => api<Node[]>('GET', '/v1/nodes'), []);

  const onLive = useCallback(
    (event: LiveEvent, data: unknown) => {
      if (!sessions.data) return;
      const s = data as Session;
      if (event === 'session.opened' && !sessions.data.some((x) => x.id === s.id)) sessions.set([...sessions.data, s]);
      if (event === 'session.closed' && sessions.data.some((x) => x.id === s.id && x.state !== 'closed')) {
        sessions.set(sessions.data.map((x) => (x.id === s.id ? { ...x, ...s } : x)));
        const name = nodes.data?.find((n) => n.id === s.nodeId)?.name ?? s.nodeId;
        notify('info', `The session on ${name} ended (${s.closeReason ?? 'closed'}).`);
      }
    },
    [sessions.data, nodes.data],
  );
  useLive(onLive);

  const open = (sessions.data ?? []).filter((s) => s.state === 'open');
  const queued = (sessions.data ?? []).filter((s) => s.state === 'queued');
  return (
    <section>
      <h1 tabIndex={-1}>Sessions</h1>
      <PageState error={sessions.error} loading={!sessions.data} />
      {sessions.data && (
        <>
          <h2>Open</h2>
          <SessionTable sessions={open} nodes={nodes.data ?? []} onChanged={() => void sessions.reload()} canOperate={hasRole(p.me, 'operator')} />
          <h2>Queued for on-demand nodes</h2>
          {queued.length === 0 ? (
            <p class="muted">Nothing is waiting for a node to check in.</p>
          ) : (
            <SessionTable sessions={queued} nodes={nodes.data ?? []} onChanged={() => void sessions.reload()} canOperate={hasRole(p.me, 'operator')} />
          )}
        </>
      )}
    </section>
  );
}
