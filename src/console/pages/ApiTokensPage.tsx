import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { localTime, relativeTime } from '../format.js';
import { notify } from '../notices.js';
import { ConfirmButton } from '../parts/ConfirmButton.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { ShownOnce } from '../parts/ShownOnce.js';
import { useGroupPaths } from '../parts/useGroupPaths.js';
import { useLoad } from '../parts/useLoad.js';

interface ApiToken {
  id: string;
  name: string;
  scope: 'read' | 'operate' | 'admin';
  group: string | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The user's API tokens for automation: create and reissue (secret shown once), revoke. */
export function ApiTokensPage() {
  const tokens = useLoad(() => api<ApiToken[]>('GET', '/v1/tokens'), []);
  const groupPath = useGroupPaths();
  const [form, setForm] = useState({ name: '', scope: 'read', ttl: '90d' });
  const [secret, setSecret] = useState<{ name: string; token: string } | undefined>(undefined);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<ApiToken & { token: string }>('POST', '/v1/tokens', form);
      setSecret({ name: r.name, token: r.token });
      notify('ok', `API token "${r.name}" created.`);
      setForm({ ...form, name: '' });
      void tokens.reload();
    } catch (err) {
      notify('error', `Could not create the API token: ${errorText(err)}`);
    }
  };
  const act = async (t: ApiToken, what: 'revoke' | 'reissue') => {
    try {
      if (what === 'revoke') {
        await api('DELETE', `/v1/tokens/${encodeURIComponent(t.id)}`);
        notify('ok', `API token "${t.name}" revoked.`);
      } else {
        const r = await api<{ token: string }>('POST', `/v1/tokens/${encodeURIComponent(t.id)}/reissue`);
        setSecret({ name: t.name, token: r.token });
        notify('ok', `API token "${t.name}" reissued; the old secret no longer works.`);
      }
      void tokens.reload();
    } catch (err) {
      notify('error', `Could not ${what} "${t.name}": ${errorText(err)}`);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>API tokens</h1>
      {secret ? (
        <ShownOnce title={`Secret of "${secret.name}"`} value={secret.token} onDone={() => setSecret(undefined)} />
      ) : (
        <form class="panel" onSubmit={create} aria-label="Create an API token">
          <h2>Create</h2>
          <label>
            Name
            <input required maxLength={64} value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
          </label>
          <label>
            Scope
            <select value={form.scope} onChange={(e) => setForm({ ...form, scope: e.currentTarget.value })}>
              <option value="read">read</option>
              <option value="operate">operate</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label>
            Valid for
            <select value={form.ttl} onChange={(e) => setForm({ ...form, ttl: e.currentTarget.value })}>
              <option value="1d">1 day</option>
              <option value="30d">30 days</option>
              <option value="90d">90 days</option>
              <option value="365d">1 year</option>
            </select>
          </label>
          <button type="submit" class="primary">
            Create token
          </button>
        </form>
      )}
      <h2>Your tokens</h2>
      <PageState error={tokens.error} loading={!tokens.data} />
      {tokens.data && (
        <DataTable
          label="API tokens"
          columns={['Name', 'Scope', 'Expires', 'Last used', 'State']}
          actions
          rows={tokens.data}
          empty="You have no API tokens."
          row={(t) => {
            const active = t.revokedAt === null && Date.parse(t.expiresAt) > Date.now();
            return (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  {t.scope}
                  {t.group ? ` on ${groupPath(t.group)}` : ''}
                </td>
                <td>{localTime(t.expiresAt)}</td>
                <td>{relativeTime(t.lastUsedAt)}</td>
                <td>{t.revokedAt ? 'revoked' : active ? 'active' : 'expired'}</td>
                <td class="actions">
                  {active && (
                    <>
                      <button type="button" onClick={() => void act(t, 'reissue')}>
                        Reissue
                      </button>
                      <ConfirmButton label="Revoke" confirm={`Revoke "${t.name}"?`} onConfirm={() => act(t, 'revoke')} />
                    </>
                  )}
                </td>
              </tr>
            );
          }}
        />
      )}
    </section>
  );
}
