import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { Group, Node } from '../types.js';
import { groupChoices, PickOne } from './PickOne.js';

/** How one node fared in a bulk action. */
interface Outcome {
  node: string;
  ok: boolean;
  text: string;
}

type Action = 'job' | 'move' | 'label' | 'unlabel';

/**
 * Acts on the nodes ticked in the list: one job for all of them, or a move or a label
 * change node by node (each its own audited call), with each node's outcome shown.
 */
export function BulkActions(p: { nodes: Node[]; groups: Group[]; canAdmin: boolean; onDone: () => void }) {
  const [action, setAction] = useState<Action>('job');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [job, setJob] = useState<string | undefined>(undefined);
  const count = `${p.nodes.length} ${p.nodes.length === 1 ? 'node' : 'nodes'}`;

  const eachNode = async (call: (n: Node) => Promise<unknown>, done: string) => {
    const results: Outcome[] = [];
    for (const n of p.nodes) {
      try {
        await call(n);
        results.push({ node: n.name, ok: true, text: done });
      } catch (err) {
        results.push({ node: n.name, ok: false, text: errorText(err) });
      }
    }
    return results;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setJob(undefined);
    const id = (n: Node) => encodeURIComponent(n.id);
    try {
      if (action === 'job') {
        const made = await api<{ id: string; nodes: string[] }>('POST', '/v1/jobs', { nodes: p.nodes.map((n) => n.id), command: value });
        setJob(made.id);
        setOutcomes(p.nodes.map((n) => ({ node: n.name, ok: made.nodes.includes(n.id), text: made.nodes.includes(n.id) ? 'job queued' : 'not in the job' })));
      } else if (action === 'move') {
        const to = p.groups.find((g) => g.id === value);
        setOutcomes(await eachNode((n) => api('POST', `/v1/nodes/${id(n)}/move`, { group: value }), `moved to ${to?.path ?? value}`));
      } else if (action === 'label') {
        const [k = '', ...rest] = value.split('=');
        setOutcomes(await eachNode((n) => api('POST', `/v1/nodes/${id(n)}/labels`, { set: { [k.trim()]: rest.join('=').trim() } }), `labelled ${value}`));
      } else {
        setOutcomes(await eachNode((n) => api('POST', `/v1/nodes/${id(n)}/labels`, { remove: [value.trim()] }), `label ${value} removed`));
      }
      p.onDone();
    } catch (err) {
      notify('error', `Could not act on the ${count}: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="bulk" aria-label="Bulk actions">
      <form class="row" onSubmit={submit} aria-label={`Act on the ${count} selected`}>
        <strong>{count} selected</strong>
        <label>
          Action
          <select value={action} onChange={(e) => { setAction(e.currentTarget.value as Action); setValue(''); }}>
            <option value="job">Run a command</option>
            {p.canAdmin && <option value="move">Move to group</option>}
            {p.canAdmin && <option value="label">Add a label</option>}
            {p.canAdmin && <option value="unlabel">Remove a label</option>}
          </select>
        </label>
        {action === 'move' ? (
          <PickOne label="Group" required value={value} choices={groupChoices(p.groups.filter((g) => g.role === 'admin'))} onPick={setValue} />
        ) : (
          <label>
            {action === 'job' ? 'Command' : action === 'label' ? 'Label (key=value)' : 'Label key'}
            <input type="text" required value={value} pattern={action === 'label' ? '[^=]+=.*' : undefined} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Working…' : 'Apply'}
        </button>
      </form>
      {outcomes.length > 0 && (
        <div role="status">
          {job && (
            <p>
              <a href={`#/jobs/${encodeURIComponent(job)}`}>Follow job {job}</a>
            </p>
          )}
          <ul class="bulk-outcomes">
            {outcomes.map((o) => (
              <li key={o.node} data-outcome={o.ok ? 'ok' : 'failed'} class={o.ok ? '' : 'error-text'}>
                {o.node}: {o.text}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
