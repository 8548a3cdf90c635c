import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { bytes, duration, localTime } from '../format.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { useLoad } from '../parts/useLoad.js';

/** A recording as GET /v1/recordings lists it. */
interface Recording {
  id: string;
  nodeId: string;
  node: string;
  userId: string | null;
  user: string | null;
  startedAt: string;
  endedAt: string | null;
  bytes: number | null;
}

const EMPTY = { node: '', user: '', since: '', until: '' };

/** The query string of a filter, without empty fields; local datetimes become ISO. */
function query(f: typeof EMPTY): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, k === 'since' || k === 'until' ? new Date(v).toISOString() : v);
  return q.toString();
}

/** Recorded terminal sessions, by node, user and time, each with a link to its replay. */
export function RecordingsPage() {
  const [draft, setDraft] = useState(EMPTY);
  const [filter, setFilter] = useState(EMPTY);
  const recordings = useLoad(() => api<Recording[]>('GET', `/v1/recordings?${query(filter)}`), [filter]);
  const field = (key: keyof typeof EMPTY, label: string, time = false) => {
    const onInput = (e: { currentTarget: HTMLInputElement }) => setDraft({ ...draft, [key]: e.currentTarget.value });
    return (
      <label>
        {label}
        {time ? <input type="datetime-local" value={draft[key]} onInput={onInput} /> : <input type="text" value={draft[key]} onInput={onInput} />}
      </label>
    );
  };

  return (
    <section>
      <h1 tabIndex={-1}>Recordings</h1>
      <p class="muted">Terminal sessions recorded on nodes whose group records the shell.</p>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); setFilter(draft); }}>
        {field('node', 'Node')}
        {field('user', 'User (email)')}
        {field('since', 'Since', true)}
        {field('until', 'Until', true)}
        <button type="submit" class="primary">
          Filter
        </button>
        <button type="button" onClick={() => { setDraft(EMPTY); setFilter(EMPTY); }}>
          Clear
        </button>
      </form>
      <PageState error={recordings.error} loading={!recordings.data} />
      {recordings.data && (
        <DataTable
          label="Recordings"
          columns={['Started', 'Node', 'User', 'Length', 'Size', 'Replay']}
          rows={recordings.data}
          empty="No recording matches."
          row={(r) => (
            <tr key={r.id} data-recording={r.id}>
              <td>{localTime(r.startedAt)}</td>
              <td>
                <a href={`#/nodes/${encodeURIComponent(r.nodeId)}`}>{r.node}</a>
              </td>
              <td>{r.user ?? r.userId ?? '—'}</td>
              <td>{r.endedAt ? duration((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000) : 'still open'}</td>
              <td>{r.bytes === null ? '—' : bytes(r.bytes)}</td>
              <td>
                <a class="button" href={`#/audit/${encodeURIComponent(r.id)}`} aria-label={`Replay the session on ${r.node} of ${localTime(r.startedAt)}`}>
                  Replay
                </a>
              </td>
            </tr>
          )}
        />
      )}
    </section>
  );
}
