import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import { ConfirmButton } from '../parts/ConfirmButton.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { ShownOnce } from '../parts/ShownOnce.js';
import { useLoad } from '../parts/useLoad.js';
import type { Group, WhoAmI } from '../types.js';

interface User {
  id: string;
  email: string;
  disabled: boolean;
  totpEnrolled: boolean;
  grants: { group: string; path: string; role: string }[];
}

const ROLES = ['viewer', 'operator', 'admin'] as const;

/** Accounts: invite/create, roles on groups, disable/enable, reset the password or the authenticator, delete. */
export function UsersPage(p: { me: WhoAmI }) {
  const users = useLoad(() => api<User[]>('GET', '/v1/users'), []);
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  const adminGroups = (groups.data ?? []).filter((g) => g.role === 'admin');
  const [form, setForm] = useState({ email: '', role: 'operator', group: '', password: '' });
  const [temp, setTemp] = useState<{ email: string; password: string } | undefined>(undefined);
  const [grantFor, setGrantFor] = useState<Record<string, { group: string; role: string }>>({});

  const run = async (done: string, failed: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      notify('ok', done);
      void users.reload();
    } catch (err) {
      notify('error', `${failed}: ${errorText(err)}`);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    const group = form.group || adminGroups[0]?.id;
    void run(`User ${form.email} created; they enroll an authenticator at first sign-in.`, `Could not create ${form.email}`, async () => {
      const r = await api<{ temporaryPassword?: string }>('POST', '/v1/users', { email: form.email, role: form.role, group, ...(form.password ? { password: form.password } : {}) });
      if (r.temporaryPassword) setTemp({ email: form.email, password: r.temporaryPassword });
      setForm({ ...form, email: '', password: '' });
    });
  };
  const path = (u: User, action: string) => `/v1/users/${encodeURIComponent(u.id)}/${action}`;

  return (
    <section>
      <h1 tabIndex={-1}>Users</h1>
      {temp ? (
        <ShownOnce title={`Temporary password for ${temp.email}`} value={temp.password} onDone={() => setTemp(undefined)} />
      ) : (
        <form class="panel" onSubmit={create} aria-label="Create a user">
          <h2>Invite a user</h2>
          <label>
            Email
            <input type="email" required value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />
          </label>
          <label>
            Role
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            Group
            <select value={form.group} onChange={(e) => setForm({ ...form, group: e.currentTarget.value })}>
              {adminGroups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.path}
                </option>
              ))}
            </select>
          </label>
          <label>
            Password (leave empty for a temporary one)
            <input type="password" autoComplete="new-password" minLength={12} value={form.password} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} />
          </label>
          <button type="submit" class="primary">
            Create user
          </button>
        </form>
      )}
      <h2>Accounts</h2>
      <PageState error={users.error} loading={!users.data} />
      {users.data && (
        <DataTable
          label="Users"
          columns={['Email', 'Roles', 'Authenticator', 'State']}
          actions
          rows={users.data}
          row={(u) => {
            const self = u.id === p.me.userId;
            const g = grantFor[u.id] ?? { group: adminGroups[0]?.id ?? '', role: 'viewer' };
            return (
              <tr key={u.id} data-user={u.email}>
                <td>{u.email}</td>
                <td>
                  <ul class="plain">
                    {u.grants.map((gr) => (
                      <li key={gr.group}>
                        {gr.role} on {gr.path}{' '}
                        {!self && (
                          <button type="button" class="link" aria-label={`Remove ${gr.role} on ${gr.path} from ${u.email}`} onClick={() => void run(`Removed ${u.email}'s role on ${gr.path}.`, 'Could not remove the role', () => api('DELETE', `${path(u, 'grants')}/${encodeURIComponent(gr.group)}`))}>
                            remove
                          </button>
                        )}
                      </li>
                    ))}
                  </ul>
                  {!self && (
                    <form class="row small" onSubmit={(e) => { e.preventDefault(); void run(`${u.email} is now ${g.role} on ${g.group}.`, 'Could not grant the role', () => api('POST', path(u, 'grants'), g)); }}>
                      <label>
                        <span class="sr-only">Role for {u.email}</span>
                        <select value={g.role} onChange={(e) => setGrantFor({ ...grantFor, [u.id]: { ...g, role: e.currentTarget.value } })}>
                          {ROLES.map((r) => (
                            <option key={r}>{r}</option>
                          ))}
                        </select>
                      </label>
                      <label>
                        <span class="sr-only">Group for {u.email}</span>
                        <select value={g.group} onChange={(e) => setGrantFor({ ...grantFor, [u.id]: { ...g, group: e.currentTarget.value } })}>
                          {adminGroups.map((x) => (
                            <option key={x.id} value={x.id}>
                              {x.path}
                            </option>
                          ))}
                        </select>
                      </label>
                      <button type="submit">Grant</button>
                    </form>
                  )}
                </td>
                <td>{u.totpEnrolled ? 'enrolled' : 'not enrolled'}</td>
                <td>{u.disabled ? <span class="badge badge-revoked">disabled</span> : <span class="badge badge-online">active</span>}</td>
                <td class="actions">
                  {!self && u.disabled && (
                    <button type="button" onClick={() => void run(`${u.email} is enabled.`, `Could not enable ${u.email}`, () => api('POST', path(u, 'enable')))}>
                      Enable
                    </button>
                  )}
                  {!self && !u.disabled && (
                    <ConfirmButton label="Disable" confirm={`Disable ${u.email}? Their sign-ins and sessions end now.`} onConfirm={() => run(`${u.email} is disabled.`, `Could not disable ${u.email}`, () => api('POST', path(u, 'disable')))} />
                  )}
                  {!self && (
                    <ConfirmButton
                      label="Reset password"
                      confirm={`Give ${u.email} a temporary password? Their sign-ins and sessions end now.`}
                      onConfirm={() =>
                        run(`${u.email} has a temporary password; they choose their own at the next sign-in.`, 'Could not reset the password', async () => {
                          const r = await api<{ temporaryPassword: string }>('POST', path(u, 'reset-password'));
                          setTemp({ email: u.email, password: r.temporaryPassword });
                        })
                      }
                    />
                  )}
                  {!self && (
                    <ConfirmButton label="Delete" confirm={`Delete ${u.email}? This cannot be undone; the audit log keeps their entries.`} onConfirm={() => run(`${u.email} is deleted.`, `Could not delete ${u.email}`, () => api('DELETE', `/v1/users/${encodeURIComponent(u.id)}`))} />
                  )}
                  {!self && u.totpEnrolled && (
                    <ConfirmButton label="Reset TOTP" confirm={`Reset ${u.email}'s authenticator? They enroll a new one at next sign-in.`} onConfirm={() => run(`${u.email}'s authenticator is reset.`, 'Could not reset the authenticator', () => api('POST', path(u, 'reset-totp')))} />
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
