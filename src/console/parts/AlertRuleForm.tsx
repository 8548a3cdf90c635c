import { useState } from 'preact/hooks';
import type { AlertChannelView } from '../../shared/alerts.js';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { Group } from '../types.js';

/** Each kind of rule, and the one number it takes (if any), as the API names it. */
const KINDS: Record<string, { label: string; param?: { key: string; label: string; scale?: number } }> = {
  'node.offline': { label: 'Node offline', param: { key: 'afterSeconds', label: 'Offline for longer than (minutes)', scale: 60 } },
  'node.online': { label: 'Node back online (after an offline alert)' },
  'session.opened': { label: 'Session opened' },
  'job.failed': { label: 'Job failed' },
  'signin.failed': { label: 'Failed sign-ins (root group only; within 5 minutes)', param: { key: 'count', label: 'More than (failures)' } },
  'health.disk': { label: 'Disk use', param: { key: 'percent', label: 'Above (percent)' } },
  'health.memory': { label: 'Memory use', param: { key: 'percent', label: 'Above (percent)' } },
  'health.load': { label: 'Load average', param: { key: 'above', label: 'Above (1-minute load)' } },
  'health.service': { label: 'A local service unreachable' },
  'condition.firing': { label: 'A condition rule firing on a node' },
  'budget.warning': { label: 'Data budget at 80 %' },
  'budget.exceeded': { label: 'Data budget spent' },
};

/** Adds a rule to a group the user administers, naming the channels it notifies. */
export function AlertRuleForm(p: { groups: Group[]; channels: AlertChannelView[]; onAdded: () => void }) {
  const [f, setF] = useState({ name: '', group: p.groups[0]?.id ?? '', kind: 'node.offline', value: '5', channels: [] as string[], quietMinutes: '60' });
  const kind = KINDS[f.kind];
  const submit = async (e: Event) => {
    e.preventDefault();
    const param = kind?.param;
    const spec = { kind: f.kind, ...(param ? { [param.key]: Math.round(Number(f.value) * (param.scale ?? 1)) } : {}), ...(f.kind === 'signin.failed' ? { windowSeconds: 300 } : {}) };
    try {
      await api('POST', '/v1/alert-rules', { name: f.name, group: f.group || p.groups[0]?.id, spec, channels: f.channels, quietSeconds: Math.round(Number(f.quietMinutes) * 60) });
      notify('ok', `Rule ${f.name} added.`);
      setF({ ...f, name: '', channels: [] });
      p.onAdded();
    } catch (err) {
      notify('error', `Could not add the rule: ${errorText(err)}`);
    }
  };
  const toggle = (id: string, on: boolean) => setF({ ...f, channels: on ? [...f.channels, id] : f.channels.filter((c) => c !== id) });
  return (
    <form class="panel" onSubmit={submit} aria-label="Add a rule">
      <h2>Add a rule</h2>
      <label>
        Rule name
        <input required value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
      </label>
      <label>
        Rule group
        <select value={f.group} onChange={(e) => setF({ ...f, group: e.currentTarget.value })}>
          {p.groups.map((g) => <option key={g.id} value={g.id}>{g.path}</option>)}
        </select>
      </label>
      <label>
        When
        <select value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value })}>
          {Object.entries(KINDS).map(([k, v]) => <option key={k} value={k}>{v.label}</option>)}
        </select>
      </label>
      {kind?.param && (
        <label>
          {kind.param.label}
          <input required type="number" min={0} step="any" value={f.value} onInput={(e) => setF({ ...f, value: e.currentTarget.value })} />
        </label>
      )}
      <label>
        Quiet period (minutes)
        <input required type="number" min={0} value={f.quietMinutes} onInput={(e) => setF({ ...f, quietMinutes: e.currentTarget.value })} />
      </label>
      <fieldset>
        <legend>Notify</legend>
        {p.channels.length === 0 && <p class="muted">Add a channel first.</p>}
        {p.channels.map((c) => (
          <label class="check" key={c.id}>
            <input type="checkbox" checked={f.channels.includes(c.id)} onChange={(e) => toggle(c.id, e.currentTarget.checked)} /> {c.name}
          </label>
        ))}
      </fieldset>
      <button type="submit" class="primary" disabled={f.channels.length === 0}>Add rule</button>
    </form>
  );
}
