import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { localTime } from '../format.js';
import { notify } from '../notices.js';
import { ConfirmButton } from '../parts/ConfirmButton.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { ShownOnce } from '../parts/ShownOnce.js';
import { useLoad } from '../parts/useLoad.js';
import type { Group } from '../types.js';
import { groupChoices, PickOne } from '../parts/PickOne.js';

interface EnrollToken {
  id: string;
  group: string;
  /** The one node a token made by a CSV import enrolls. */
  node: string | null;
  uses: number;
  maxUses: number;
  autoApprove: boolean;
  createdAt: string;
  expiresAt: string;
  state: 'active' | 'used' | 'expired' | 'revoked';
}

/** Enrollment tokens: create (the secret is shown once), list, revoke. */
export function EnrollTokensPage() {
  const tokens = useLoad(() => api<EnrollToken[]>('GET', '/v1/enroll-tokens'), []);
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  const [form, setForm] = useState({ group: '', uses: 1, ttl: '1h', autoApprove: false });
  const [made, setMade] = useState<{ token: string; enrollCommand: string } | undefined>(undefined);
  const adminGroups = (groups.data ?? []).filter((g) => g.role === 'admin');
  const groupPath = (id: string) => groups.data?.find((g) => g.id === id)?.path ?? id;

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<{ id: string; token: string; enrollCommand: string }>('POST', '/v1/enroll-tokens', { ...form, group: form.group || undefined });
      setMade(r);
      notify('ok', `Enrollment token ${r.id} created.`);
      void tokens.reload();
    } catch (err) {
      notify('error', `Could not create the enrollment token: ${errorText(err)}`);
    }
  };
  const revoke = async (t: EnrollToken) => {
    try {
      await api('DELETE', `/v1/enroll-tokens/${encodeURIComponent(t.id)}`);
      notify('ok', `Enrollment token ${t.id} revoked.`);
      void tokens.reload();
    } catch (err) {
      notify('error', `Could not revoke ${t.id}: ${errorText(err)}`);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Enrollment tokens</h1>
      {made ? (
        <ShownOnce title="New enrollment token" value={made.token} extra={made.enrollCommand} onDone={() => setMade(undefined)} />
      ) : (
        <form class="panel" onSubmit={create} aria-label="Create an enrollment token">
          <h2>Create</h2>
          <PickOne label="Group the nodes join" none="Default" value={form.group} choices={groupChoices(adminGroups)} onPick={(group) => setForm({ ...form, group })} />
          <label>
            Uses
            <input type="number" min={1} max={100000} value={form.uses} onInput={(e) => setForm({ ...form, uses: Number(e.currentTarget.value) || 1 })} />
          </label>
          <label>
            Valid for
            <select value={form.ttl} onChange={(e) => setForm({ ...form, ttl: e.currentTarget.value })}>
              <option value="15m">15 minutes</option>
              <option value="1h">1 hour</option>
              <option value="1d">1 day</option>
              <option value="7d">7 days</option>
              <option value="30d">30 days</option>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={form.autoApprove} onChange={(e) => setForm({ ...form, autoApprove: e.currentTarget.checked })} /> Approve nodes automatically
          </label>
          <button type="submit" class="primary">
            Create token
          </button>
        </form>
      )}
      <h2>Tokens</h2>
      <PageState error={tokens.error} loading={!tokens.data} />
      {tokens.data && (
        <DataTable
          label="Enrollment tokens"
          columns={['Id', 'Group', 'For node', 'Uses', 'Auto-approve', 'Expires', 'State']}
          actions
          rows={tokens.data}
          row={(t) => (
            <tr key={t.id} data-token={t.id}>
              <td>
                <code>{t.id}</code>
              </td>
              <td>{groupPath(t.group)}</td>
              <td>{t.node ?? 'any'}</td>
              <td>
                {t.uses} / {t.maxUses}
              </td>
              <td>{t.autoApprove ? 'yes' : 'no'}</td>
              <td>{localTime(t.expiresAt)}</td>
              <td>
                <span class={`badge badge-${t.state === 'active' ? 'online' : 'offline'}`}>{t.state}</span>
              </td>
              <td>{t.state === 'active' && <ConfirmButton label="Revoke" confirm={`Revoke ${t.id}?`} onConfirm={() => revoke(t)} />}</td>
            </tr>
          )}
        />
      )}
    </section>
  );
}
