import type { Group } from '../types.js';

/** The groups the user can see as a nested list; each links to its own page. */
export function GroupTree(p: { groups: readonly Group[]; selected: string | undefined }) {
  const ids = new Set(p.groups.map((g) => g.id));
  const children = (parent: string | null) => p.groups.filter((g) => (parent === null ? g.parent === null || !ids.has(g.parent) : g.parent === parent));
  const branch = (parent: string | null) => {
    const list = children(parent);
    if (list.length === 0) return null;
    return (
      <ul class="group-tree">
        {list.map((g) => (
          <li key={g.id} data-group={g.path}>
            <a href={`#/groups/${encodeURIComponent(g.id)}`} aria-current={p.selected === g.id ? 'page' : undefined}>
              {g.name}
            </a>{' '}
            <small class="muted">{g.role}</small>
            {branch(g.id)}
          </li>
        ))}
      </ul>
    );
  };
  return <nav aria-label="Group tree">{branch(null)}</nav>;
}
