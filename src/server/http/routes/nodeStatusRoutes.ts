import { z } from 'zod';
import { BurrowError } from '../../../shared/errors.js';
import { connectModeSchema, type ConnectModeSpec, type NodeStatusView } from '../../../shared/protocol.js';
import { listNodeStatus, setProposedMode } from '../../store/nodeStatusStore.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';
import { queryNumber } from '../queryNumber.js';
import { auditedNodeChange, pathNode } from './nodeChange.js';
import { nodeView } from './nodeRoutes.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A proposal, or null to withdraw one; the zone is checked here, the windows by the node. */
const proposalSchema = z.union([connectModeSchema, z.object({ mode: z.null() })]);

function checkZone(p: ConnectModeSpec): void {
  if (p.mode !== 'on-demand') return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: p.schedule.timeZone });
  } catch {
    throw new BurrowError('VALIDATION', `"${p.schedule.timeZone}" is not an IANA time zone (e.g. Asia/Tokyo).`);
  }
}

/** A node's status history and the mode proposed to it. */
export function nodeStatusRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/nodes/:id/status',
      permission: 'read',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'viewer');
        const limit = queryNumber(ctx.query, 'limit', { min: 1, max: 1000 }) ?? 20;
        const rows = await listNodeStatus(d.db, node.id, limit);
        const view = nodeView(d, node);
        const history = rows.map((r) => ({ ...r.report, at: iso(r.at) }));
        const body: NodeStatusView = {
          nodeId: node.id,
          online: view.online,
          lastSeen: view.lastSeen,
          nextCheckIn: view.nextCheckIn,
          mode: node.mode,
          proposedMode: node.proposedMode ? (JSON.parse(node.proposedMode) as ConnectModeSpec) : null,
          latest: history[0] ?? null,
          history,
        };
        ctx.body = body;
      },
    },
    {
      method: 'PUT',
      path: '/v1/nodes/:id/mode',
      permission: 'admin',
      handler: async (ctx) => {
        const node = await pathNode(d, ctx, 'admin');
        const body = await readJson(ctx, proposalSchema);
        const proposal = body.mode === null ? null : (body as ConnectModeSpec);
        if (proposal) checkZone(proposal);
        await auditedNodeChange(d, ctx, node, 'node.mode.propose', d.clock.now(), async (tx) => {
          await setProposedMode(tx, node.id, proposal ? JSON.stringify(proposal) : null);
          return { proposal };
        });
        ctx.body = { nodeId: node.id, proposedMode: proposal };
      },
    },
  ];
}
