import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import { GroupMembers } from '../parts/GroupMembers.js';
import { GroupTree } from '../parts/GroupTree.js';
import { PageState } from '../parts/PageState.js';
import { useLoad } from '../parts/useLoad.js';
import { navigate } from '../router.js';
import type { Group } from '../types.js';
import { groupChoices, PickOne } from '../parts/PickOne.js';

/** Whether `id` is `ancestor` or lies below it. */
function within(groups: readonly Group[], id: string | null, ancestor: string): boolean {
  for (let g = groups.find((x) => x.id === id); g; g = groups.find((x) => x.id === g?.parent)) if (g.id === ancestor) return true;
  return false;
}

/** The group tree: create subgroups, rename and move groups, and who holds which role on each. */
export function GroupsPage(p: { id: string | undefined }) {
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  const [name, setName] = useState('');
  const [child, setChild] = useState('');
  const [parent, setParent] = useState('');
  const list = groups.data ?? [];
  const g = list.find((x) => x.id === p.id);
  const admin = g?.role === 'admin';

  const run = async (done: string, failed: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      notify('ok', done);
      void groups.reload();
    } catch (err) {
      notify('error', `${failed}: ${errorText(err)}`);
    }
  };
  const ref = (x: Group) => encodeURIComponent(x.id);
  const rename = (x: Group) => (e: Event) => {
    e.preventDefault();
    void run(`${x.path} is now named ${name}.`, `Could not rename ${x.path}`, async () => {
      await api('POST', `/v1/groups/${ref(x)}/rename`, { name });
      setName('');
    });
  };
  const move = (x: Group) => (e: Event) => {
    e.preventDefault();
    const to = list.find((y) => y.id === parent);
    if (!to) return;
    void run(`${x.name} moved under ${to.path}.`, `Could not move ${x.path}`, async () => {
      await api('POST', `/v1/groups/${ref(x)}/move`, { parent: to.id });
      setParent('');
    });
  };
  const create = (x: Group) => (e: Event) => {
    e.preventDefault();
    void run(`Group ${x.path}/${child} created.`, `Could not create ${child}`, async () => {
      const made = await api<{ id: string }>('POST', '/v1/groups', { name: child, parent: x.id });
      setChild('');
      navigate('groups', made.id);
    });
  };

  return (
    <section>
      <h1 tabIndex={-1}>Groups</h1>
      <PageState error={groups.error} loading={!groups.data} />
      {groups.data && <GroupTree groups={list} selected={p.id} />}
      {p.id && groups.data && !g && <p class="error-text">No group {p.id} that you can see.</p>}
      {g && (
        <div class="group-detail" aria-label={`Group ${g.path}`}>
          <h2>{g.path}</h2>
          <p class="muted">Your role here: {g.role}.</p>
          {admin && (
            <>
              <form class="row" onSubmit={rename(g)} aria-label={`Rename ${g.path}`}>
                <label>
                  New name
                  <input type="text" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
                </label>
                <button type="submit">Rename</button>
              </form>
              {g.parent && (
                <form class="row" onSubmit={move(g)} aria-label={`Move ${g.path}`}>
                  <PickOne label="Move under" required value={parent} choices={groupChoices(list.filter((x) => x.role === 'admin' && x.id !== g.parent && !within(list, x.id, g.id)))} onPick={setParent} />
                  <button type="submit">Move</button>
                </form>
              )}
              <form class="row" onSubmit={create(g)} aria-label={`Create a subgroup of ${g.path}`}>
                <label>
                  Subgroup name
                  <input type="text" required value={child} onInput={(e) => setChild(e.currentTarget.value)} />
                </label>
                <button type="submit">Create subgroup</button>
              </form>
              <GroupMembers group={g} />
            </>
          )}
        </div>
      )}
    </section>
  );
}
