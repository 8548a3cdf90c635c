import { stringify } from 'csv-stringify/sync';
import { isInternalService } from '../../shared/internalServices.js';
import { connectModeSchema, type ConnectModeSpec } from '../../shared/protocol.js';
import type { GroupTree } from '../auth/groupTree.js';
import type { NodeRecord } from '../store/nodeStore.js';
import { awaitsEnrollment } from '../store/preregisteredNodeStore.js';
import { csvGroupPath } from './groupPath.js';
import { IMPORT_COLUMNS, READ_ONLY_COLUMNS } from './nodeCsv.js';
import { writeLabelsCell, writeModeCell, writeServicesCell } from './nodeCsvCells.js';

/** What an export knows of a node beyond its row: whether it is connected, and its services' targets then. */
export interface LiveNode {
  online: boolean;
  /** Targets the connected agent announced (name -> target). */
  targets?: Record<string, string>;
}

/**
 * A service's target where the server knows it (announced by the connected agent, or set
 * by an import); otherwise the name alone, which an import refuses until a target is
 * filled in: the server does not keep an offline node's targets.
 */
function servicesCell(n: NodeRecord, live: LiveNode): string {
  const known = { ...n.serviceTargets, ...(live.targets ?? {}) };
  // The agent's own shell and jobs ride the tunnel as services but are no one's to list.
  const names = [...new Set([...n.services, ...Object.keys(live.targets ?? {})])].filter((name) => !isInternalService(name)).sort();
  return names.map((name) => (known[name] === undefined ? name : writeServicesCell({ [name]: known[name] }))).join(';');
}

/** The node's mode with its schedule when the server proposed one; an on-demand node that chose its own reads `on-demand`. */
function modeCell(n: NodeRecord): string {
  const proposed = n.proposedMode === null ? undefined : connectModeSchema.safeParse(JSON.parse(n.proposedMode) as unknown);
  const spec: ConnectModeSpec | undefined = proposed?.success ? proposed.data : undefined;
  if (spec && spec.mode === n.mode) return writeModeCell(spec);
  return writeModeCell(n.mode === 'always-on' ? { mode: 'always-on' } : { mode: 'on-demand' });
}

/**
 * Writes nodes as a node CSV: the columns an import reads, then id, status, online and
 * last_seen for people (an import ignores them). `status` is `awaiting-enrollment` for an
 * imported node whose agent has not enrolled yet.
 */
export function exportNodesCsv(nodes: readonly NodeRecord[], tree: GroupTree, liveOf: (id: string) => LiveNode): string {
  const rows = nodes.map((n) => {
    const live = liveOf(n.id);
    return [
      n.name,
      csvGroupPath(tree, n.groupId),
      servicesCell(n, live),
      modeCell(n),
      writeLabelsCell(n.labels),
      n.id,
      awaitsEnrollment(n.publicKey) ? 'awaiting-enrollment' : n.status,
      live.online ? 'yes' : 'no',
      n.lastSeenAt === null ? '' : new Date(n.lastSeenAt).toISOString(),
    ];
  });
  return stringify([[...IMPORT_COLUMNS, ...READ_ONLY_COLUMNS], ...rows]);
}
