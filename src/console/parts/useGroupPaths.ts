import { useMemo } from 'preact/hooks';
import { api } from '../api.js';
import type { Group } from '../types.js';
import { useLoad } from './useLoad.js';

/** Names a group by its path (acme/site1) instead of its id; an id the user cannot see stays as it is. */
export function useGroupPaths(): (id: string) => string {
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  return useMemo(() => {
    const paths = new Map((groups.data ?? []).map((g) => [g.id, g.path]));
    return (id: string) => paths.get(id) ?? id;
  }, [groups.data]);
}
