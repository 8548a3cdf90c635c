import { useCallback, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { relativeTime } from '../format.js';
import { useLive, type LiveEvent } from '../live.js';
import { openSession } from '../openSession.js';
import { BulkActions } from '../parts/BulkActions.js';
import { DataTable, type HeaderCell } from '../parts/DataTable.js';
import { NodeBadge } from '../parts/NodeBadge.js';
import { BudgetBadge } from '../parts/BudgetBadge.js';
import type { BudgetListEntry } from '../../shared/dataBudget.js';
import { PageState } from '../parts/PageState.js';
import { Pager } from '../parts/Pager.js';
import { useLoad } from '../parts/useLoad.js';
import { hasRole } from '../roles.js';
import type { Group, Node, WhoAmI } from '../types.js';
import { matchesSelector, readLabelSelector } from '../../shared/labelMatch.js';

const PAGE_SIZE = 50;
type SortKey = 'name' | 'group' | 'mode' | 'state' | 'lastSeen' | 'agentVersion';
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'group', label: 'Group' },
  { key: 'mode', label: 'Mode' },
  { key: 'state', label: 'Status' },
  { key: 'lastSeen', label: 'Last seen / next check-in' },
  { key: 'agentVersion', label: 'Agent' },
];

const stateOf = (n: Node) => (n.status !== 'approved' ? n.status : n.online ? 'online' : 'offline');

function sortValue(n: Node, key: SortKey, groups: Map<string, string>): string {
  if (key === 'group') return groups.get(n.group) ?? n.group;
  if (key === 'state') return stateOf(n);
  if (key === 'lastSeen') return n.online ? '~' : (n.lastSeen ?? '');
  return String(n[key] ?? '');
}

/** Merges a node pushed by a live event into the list (new nodes appear too). */
export function mergeNode(list: Node[], n: Node): Node[] {
  const i = list.findIndex((x) => x.id === n.id);
  if (i < 0) return [...list, n];
  const next = list.slice();
  next[i] = { ...list[i], ...n };
  return next;
}

/** All nodes the user can see: search, filter, sort and page, updated live. */
export function NodesPage(p: { me: WhoAmI }) {
  const nodes = useLoad(() => api<Node[]>('GET', '/v1/nodes'), []);
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  const budgets = useLoad(() => api<BudgetListEntry[]>('GET', '/v1/budgets'), []);
  const budgetOf = useMemo(() => new Map((budgets.data ?? []).map((b) => [b.nodeId, b])), [budgets.data]);
  const [query, setQuery] = useState('');
  const [state, setState] = useState('all');
  const [group, setGroup] = useState('all');
  const [labels, setLabels] = useState('');
  const selector = useMemo(() => (labels.trim() === '' ? [] : readLabelSelector(labels)), [labels]);
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'name', dir: 1 });
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const groupNames = useMemo(() => new Map((groups.data ?? []).map((g) => [g.id, g.path])), [groups.data]);

  const onLive = useCallback(
    (event: LiveEvent, data: unknown) => {
      if ((event === 'node.online' || event === 'node.offline') && nodes.data) nodes.set(mergeNode(nodes.data, data as Node));
    },
    [nodes.data],
  );
  useLive(onLive);

  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    const list = (nodes.data ?? []).filter(
      (n) =>
        (state === 'all' || stateOf(n) === state) &&
        (group === 'all' || n.group === group) &&
        ('problem' in selector || matchesSelector(n.labels ?? {}, selector)) &&
        (!q || n.name.toLowerCase().includes(q) || n.id.toLowerCase().includes(q) || (groupNames.get(n.group) ?? n.group).toLowerCase().includes(q)),
    );
    return list.sort((a, b) => sortValue(a, sort.key, groupNames).localeCompare(sortValue(b, sort.key, groupNames), undefined, { numeric: true }) * sort.dir);
  }, [nodes.data, query, state, group, selector, sort, groupNames]);

  const pages = Math.ceil(rows.length / PAGE_SIZE);
  const shown = rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const canOperate = hasRole(p.me, 'operator');
  const online = (nodes.data ?? []).filter((n) => n.online).length;
  const allShown = shown.length > 0 && shown.every((n) => selected.has(n.id));
  const toggle = (ids: string[], on: boolean) => {
    const next = new Set(selected);
    for (const id of ids) if (on) next.add(id); else next.delete(id);
    setSelected(next);
  };

  return (
    <section>
      <h1 tabIndex={-1}>Nodes</h1>
      <p class="muted">
        {nodes.data ? `${nodes.data.length} nodes, ${online} online.` : ''} Status changes appear here as they happen.
      </p>
      <p class="actions">
        <a class="button" href="/v1/fleet/export" download="burrow-nodes.csv">
          Export CSV
        </a>
        {hasRole(p.me, 'admin') && (
          <a class="button" href="#/node-import">
            Import nodes
          </a>
        )}
      </p>
      <div class="filters" role="search">
        <label>
          Search
          <input type="search" value={query} placeholder="name, id or group" onInput={(e) => { setQuery(e.currentTarget.value); setPage(0); }} />
        </label>
        <label>
          Status
          <select value={state} onChange={(e) => { setState(e.currentTarget.value); setPage(0); }}>
            <option value="all">All</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
            <option value="pending">Pending approval</option>
            <option value="revoked">Revoked</option>
          </select>
        </label>
        <label>
          Group
          <select value={group} onChange={(e) => { setGroup(e.currentTarget.value); setPage(0); }}>
            <option value="all">All groups</option>
            {(groups.data ?? []).map((g) => (
              <option key={g.id} value={g.id}>
                {g.path}
              </option>
            ))}
          </select>
        </label>
        <label>
          Labels
          <input type="search" value={labels} placeholder="site=paris,tier!=test" aria-invalid={'problem' in selector} onInput={(e) => { setLabels(e.currentTarget.value); setPage(0); }} />
        </label>
      </div>
      {'problem' in selector && <p class="error-text" role="alert">{selector.problem}</p>}
      <PageState error={nodes.error} loading={!nodes.data} />
      {canOperate && selected.size > 0 && nodes.data && (
        <BulkActions nodes={nodes.data.filter((n) => selected.has(n.id))} groups={groups.data ?? []} canAdmin={hasRole(p.me, 'admin')} onDone={() => void nodes.reload()} />
      )}
      {nodes.data && (
        <>
          <DataTable
            label="Nodes"
            columns={[
              ...(canOperate ? [{ key: 'select', content: <input type="checkbox" aria-label="Select all shown nodes" checked={allShown} onChange={(e) => toggle(shown.map((n) => n.id), e.currentTarget.checked)} /> }] : []),
              ...COLUMNS.map((c): HeaderCell => ({
              key: c.key,
              sort: sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none',
              content: (
                <button type="button" class="sort" onClick={() => setSort({ key: c.key, dir: sort.key === c.key ? (-sort.dir as 1 | -1) : 1 })}>
                  {c.label}
                  <span aria-hidden="true">{sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
                </button>
              ),
            })),
            ]}
            actions
            rows={shown}
            row={(n) => (
              <tr key={n.id} data-node={n.name}>
                {canOperate && (
                  <td>
                    <input type="checkbox" aria-label={`Select ${n.name}`} checked={selected.has(n.id)} onChange={(e) => toggle([n.id], e.currentTarget.checked)} />
                  </td>
                )}
                <td>
                  <a href={`#/nodes/${encodeURIComponent(n.id)}`}>{n.name}</a>
                  {Object.entries(n.labels ?? {}).map(([k, v]) => (
                    <span key={k} class="label-chip">{`${k}=${v}`}</span>
                  ))}
                </td>
                <td>{groupNames.get(n.group) ?? n.group}</td>
                <td>{n.mode ?? '—'}</td>
                <td>
                  <NodeBadge node={n} /> <BudgetBadge entry={budgetOf.get(n.id)} />
                </td>
                <td>{n.online ? 'connected now' : n.nextCheckIn ? `next check-in ${relativeTime(n.nextCheckIn)}` : `seen ${relativeTime(n.lastSeen)}`}</td>
                <td>{n.agentVersion ?? '—'}</td>
                <td>
                  {canOperate && n.status === 'approved' && n.services.includes('webui') && (
                    <button type="button" onClick={() => void openSession(n, 'webui')} aria-label={`Open WebUI of ${n.name}`}>
                      Open WebUI
                    </button>
                  )}
                </td>
              </tr>
            )}
          />
          {rows.length === 0 && <p class="muted">No node matches.</p>}
          <Pager page={page} pages={pages} total={rows.length} onPage={setPage} label="nodes" />
        </>
      )}
    </section>
  );
}
