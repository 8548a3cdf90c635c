import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { Group } from '../types.js';
import { ConfirmButton } from './ConfirmButton.js';
import { DataTable } from './DataTable.js';
import { PageState } from './PageState.js';
import { useLoad } from './useLoad.js';
import { PickOne } from './PickOne.js';

/** A user as GET /v1/users lists them, with the roles the caller may see. */
interface Member {
  id: string;
  email: string;
  grants: { group: string; role: 'admin' | 'operator' | 'viewer' }[];
}

/** Who holds a role on one group (roles on groups above reach it too), with grant and revoke. */
export function GroupMembers(p: { group: Group }) {
  const users = useLoad(() => api<Member[]>('GET', '/v1/users'), []);
  const [grant, setGrant] = useState({ user: '', role: 'viewer' });
  const g = p.group;
  const members = (users.data ?? []).flatMap((u) => u.grants.filter((x) => x.group === g.id).map((x) => ({ ...u, role: x.role })));
  const run = async (done: string, failed: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      notify('ok', done);
      void users.reload();
    } catch (err) {
      notify('error', `${failed}: ${errorText(err)}`);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const u = users.data?.find((x) => x.id === grant.user);
    if (!u) return;
    void run(`${u.email} is now ${grant.role} on ${g.path}.`, `Could not grant ${grant.role} to ${u.email}`, () => api('POST', `/v1/users/${encodeURIComponent(u.id)}/grants`, { group: g.id, role: grant.role }));
  };

  return (
    <>
      <h2>Members</h2>
      <PageState error={users.error} loading={!users.data} />
      <DataTable
        label={`Members of ${g.path}`}
        columns={['User', 'Role']}
        actions
        rows={members}
        empty="Nobody holds a role on this group itself; roles on the groups above it reach it too."
        row={(m) => (
          <tr key={m.id} data-member={m.email}>
            <td>{m.email}</td>
            <td>{m.role}</td>
            <td>
              <ConfirmButton
                label="Revoke"
                confirm={`Take ${m.role} on ${g.path} away from ${m.email}?`}
                onConfirm={() => run(`${m.email} no longer holds a role on ${g.path}.`, `Could not revoke the role of ${m.email}`, () => api('DELETE', `/v1/users/${encodeURIComponent(m.id)}/grants/${encodeURIComponent(g.id)}`))}
              />
            </td>
          </tr>
        )}
      />
      <form class="row" onSubmit={submit} aria-label={`Grant a role on ${g.path}`}>
        <PickOne label="User" required value={grant.user} choices={(users.data ?? []).map((u) => ({ id: u.id, text: u.email }))} onPick={(user) => setGrant({ ...grant, user })} />
        <label>
          Role
          <select value={grant.role} onChange={(e) => setGrant({ ...grant, role: e.currentTarget.value })}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit">Grant</button>
      </form>
    </>
  );
}
