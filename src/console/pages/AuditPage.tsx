import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { localTime } from '../format.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { useLoad } from '../parts/useLoad.js';

interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  /** The actor's email (a user) or name (a node); null for the system. */
  actorName: string | null;
  /** The actor's email as recorded in the entry when it was written. */
  actorEmail: string | null;
  sourceIp: string | null;
  action: string;
  objectType: string | null;
  target: string | null;
  /** The target's name (a node's name, a user's email, a group's path); null when it has none. */
  targetName?: string | null;
  result: string;
  group: string | null;
  detail: Record<string, unknown>;
}

const PAGE = 50;
const EMPTY = { action: '', actor: '', node: '', since: '', until: '' };

/** The query string of a filter, without empty fields; local datetimes become ISO. */
function query(f: typeof EMPTY, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, k === 'since' || k === 'until' ? new Date(v).toISOString() : v);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** The audit log: filter, page backwards through it, export what the filter selects, replay recorded terminals. */
export function AuditPage() {
  const [draft, setDraft] = useState(EMPTY);
  const [filter, setFilter] = useState(EMPTY);
  // Sequence numbers where each earlier page begins; the last one is the current page.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const entries = useLoad(() => api<AuditEntry[]>('GET', `/v1/audit?${query(filter, { limit: String(PAGE), ...(before ? { before: String(before) } : {}) })}`), [filter, before]);
  const field = (key: keyof typeof EMPTY, label: string, time = false) => {
    const onInput = (e: { currentTarget: HTMLInputElement }) => setDraft({ ...draft, [key]: e.currentTarget.value });
    return (
      <label>
        {label}
        {time ? <input type="datetime-local" value={draft[key]} onInput={onInput} /> : <input type="text" value={draft[key]} onInput={onInput} />}
      </label>
    );
  };
  const last = entries.data?.[entries.data.length - 1];

  return (
    <section>
      <h1 tabIndex={-1}>Audit log</h1>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); setFilter(draft); setCursors([undefined]); }}>
        {field('action', 'Action')}
        {field('actor', 'Actor (user id)')}
        {field('node', 'Target (node, user…)')}
        {field('since', 'Since', true)}
        {field('until', 'Until', true)}
        <button type="submit" class="primary">
          Filter
        </button>
        <button type="button" onClick={() => { setDraft(EMPTY); setFilter(EMPTY); setCursors([undefined]); }}>
          Clear
        </button>
      </form>
      <p class="row">
        Export what this filter selects:
        <a class="button" href={`/v1/audit/export?${query(filter, { format: 'csv' })}`} download>
          CSV
        </a>
        <a class="button" href={`/v1/audit/export?${query(filter, { format: 'jsonl' })}`} download>
          JSON lines
        </a>
      </p>
      <PageState error={entries.error} loading={!entries.data} />
      {entries.data && (
        <>
          <DataTable
            label="Audit entries"
            columns={['#', 'Time', 'Actor', 'Action', 'Object', 'Result', 'Source', 'Detail']}
            rows={entries.data}
            row={(e) => (
              <tr key={e.seq} data-action={e.action}>
                <td>{e.seq}</td>
                <td>{localTime(e.at)}</td>
                <td class="actor" title={e.actor}>{e.actorName ?? e.actorEmail ?? e.actor}</td>
                <td>{e.action}</td>
                <td class="object" title={e.target ?? undefined}>
                  {e.objectType && <small class="muted">{e.objectType} </small>}
                  {e.targetName ?? e.target ?? ''}
                </td>
                <td>{e.result}</td>
                <td>{e.sourceIp ?? ''}</td>
                <td>
                  <code class="detail">{Object.keys(e.detail).length ? JSON.stringify(e.detail) : ''}</code>
                  {e.action === 'shell.close' && typeof e.detail.recording === 'string' && (
                    <a class="button" href={`#/audit/${encodeURIComponent(e.detail.recording)}`}>
                      Replay
                    </a>
                  )}
                </td>
              </tr>
            )}
          />
          {entries.data.length === 0 && <p class="muted">No entry matches.</p>}
          <nav class="pager" aria-label="Audit pages">
            <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer
            </button>
            <span>Page {cursors.length}</span>
            <button type="button" disabled={!last || entries.data.length < PAGE} onClick={() => last && setCursors([...cursors, last.seq])}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
