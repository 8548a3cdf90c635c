import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { Group } from '../types.js';

const EMPTY = { name: '', group: '', kind: 'webhook', url: '', secret: '', host: '', port: '587', starttls: true, user: '', password: '', from: '', to: '' };

/** Adds a webhook or email channel to a group the user administers. */
export function AlertChannelForm(p: { groups: Group[]; onAdded: () => void }) {
  const [f, setF] = useState({ ...EMPTY, group: p.groups[0]?.id ?? '' });
  const set = (k: keyof typeof EMPTY) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const spec = f.kind === 'webhook'
      ? { kind: 'webhook', url: f.url, secret: f.secret }
      : { kind: 'email', host: f.host, port: Number(f.port), starttls: f.starttls, from: f.from, to: f.to.split(/[\s,]+/).filter(Boolean), ...(f.user ? { user: f.user } : {}), ...(f.password ? { password: f.password } : {}) };
    try {
      await api('POST', '/v1/alert-channels', { name: f.name, group: f.group || p.groups[0]?.id, spec });
      notify('ok', `Channel ${f.name} added.`);
      setF({ ...EMPTY, group: f.group });
      p.onAdded();
    } catch (err) {
      notify('error', `Could not add the channel: ${errorText(err)}`);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-label="Add a channel">
      <h2>Add a channel</h2>
      <label>
        Channel name
        <input required value={f.name} onInput={set('name')} />
      </label>
      <label>
        Channel group
        <select value={f.group} onChange={set('group')}>
          {p.groups.map((g) => <option key={g.id} value={g.id}>{g.path}</option>)}
        </select>
      </label>
      <label>
        Kind
        <select value={f.kind} onChange={set('kind')}>
          <option value="webhook">Webhook</option>
          <option value="email">Email (SMTP)</option>
        </select>
      </label>
      {f.kind === 'webhook' ? (
        <>
          <label>
            Webhook URL
            <input required type="url" value={f.url} onInput={set('url')} />
          </label>
          <label>
            Signing secret
            <input required type="password" minLength={16} autocomplete="new-password" value={f.secret} onInput={set('secret')} />
          </label>
        </>
      ) : (
        <>
          <label>
            SMTP host
            <input required value={f.host} onInput={set('host')} />
          </label>
          <label>
            SMTP port
            <input required type="number" min={1} max={65535} value={f.port} onInput={set('port')} />
          </label>
          <label class="check">
            <input type="checkbox" checked={f.starttls} onChange={(e) => setF({ ...f, starttls: e.currentTarget.checked })} /> Require STARTTLS
          </label>
          <label>
            SMTP user
            <input value={f.user} onInput={set('user')} autocomplete="off" />
          </label>
          <label>
            SMTP password
            <input type="password" value={f.password} onInput={set('password')} autocomplete="new-password" />
          </label>
          <label>
            From
            <input required type="email" value={f.from} onInput={set('from')} />
          </label>
          <label>
            To (comma-separated)
            <input required value={f.to} onInput={set('to')} />
          </label>
        </>
      )}
      <button type="submit" class="primary">Add channel</button>
    </form>
  );
}
