import { BurrowError } from '../../shared/errors.js';
import { matchesSelector, parseLabelSelector } from '../../shared/labelSelector.js';
import { listNodes } from '../store/nodeStore.js';
import { groupParam, type RequestAccess } from './accessOf.js';
import type { ApiDeps } from './apiDeps.js';

/**
 * The approved nodes a job with a label selector goes to: those matching the selector
 * among the nodes the caller may operate (within `groupRef` when given), and the group the
 * job belongs to: `groupRef`, else the deepest group the caller operates that holds them all.
 */
export async function selectorTargets(d: Pick<ApiDeps, 'db'>, a: RequestAccess, selectorText: string, groupRef?: string): Promise<{ groupId: string; nodeIds: string[] }> {
  const selector = parseLabelSelector(selectorText);
  const group = groupRef === undefined ? undefined : await groupParam(d.db, a, groupRef, 'operator');
  // Authorization per node: only nodes in groups the caller operates are ever considered.
  const operated = new Set(a.groups('operator'));
  const matched = (await listNodes(d.db)).filter(
    (n) => n.status === 'approved' && operated.has(n.groupId) && (!group || a.tree.isWithin(n.groupId, group.id)) && matchesSelector(n.labels, selector),
  );
  if (matched.length === 0) throw new BurrowError('VALIDATION', `No approved node you may operate${groupRef === undefined ? '' : ` in group ${groupRef}`} matches the selector ${selectorText}.`);
  const nodeIds = matched.map((n) => n.id);
  if (group) return { groupId: group.id, nodeIds };
  for (let g = a.tree.get((matched[0] as { groupId: string }).groupId); g; g = g.parentId ? a.tree.get(g.parentId) : undefined) {
    const id = g.id;
    if (operated.has(id) && matched.every((n) => a.tree.isWithin(n.groupId, id))) return { groupId: id, nodeIds };
  }
  throw new BurrowError('VALIDATION', `The nodes matching ${selectorText} lie in groups with no common group you operate; name a group as well.`);
}
