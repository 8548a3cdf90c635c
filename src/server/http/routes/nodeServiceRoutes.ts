import { randomUUID } from 'node:crypto';
import { BurrowError } from '../../../shared/errors.js';
import { serviceChangeSchema, type ServiceChange } from '../../../shared/protocol.js';
import { parseServiceTarget } from '../../../shared/serviceTarget.js';
import { appendAudit, recordAudit } from '../../store/auditStore.js';
import { setNodeServices } from '../../store/nodeLifecycleStore.js';
import type { NodeHandle } from '../../cluster/nodeDirectory.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';
import { nodeParam, nodeView } from './nodeRoutes.js';

/** How long the API waits for a node to answer a pushed service change. */
const ANSWER_WAIT_MS = 10_000;

interface ServiceResult {
  id: string;
  applied: boolean;
  refused?: string;
}

/** Pushes `change` to the connected node and resolves to its answer, or throws NODE_OFFLINE when none comes in time. */
function pushAndWait(d: ApiDeps, conn: NodeHandle, change: ServiceChange, name: string): Promise<ServiceResult> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const done = () => {
      d.clock.clearTimeout(timer);
      conn.off('service-result', onResult);
      conn.off('close', onClose);
    };
    const onResult = (r: ServiceResult) => {
      if (r.id !== id) return;
      done();
      resolve(r);
    };
    const onClose = () => {
      done();
      reject(new BurrowError('NODE_OFFLINE', `Node ${name} went offline before it answered; its services are unchanged.`));
    };
    const timer = d.clock.setTimeout(() => {
      done();
      reject(new BurrowError('NODE_OFFLINE', `Node ${name} did not answer the service change in time (an agent older than the server cannot take one); check "burrow admin node show ${name}".`));
    }, ANSWER_WAIT_MS);
    conn.on('service-result', onResult);
    conn.once('close', onClose);
    if (!conn.pushServiceChange({ ...change, id })) onClose();
  });
}

/** Editing a node's services from the server: pushed to the connected agent, which applies it within its operator's allow-list. */
export function nodeServiceRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/nodes/:id/services',
      permission: 'admin',
      handler: async (ctx) => {
        const change = await readJson(ctx, serviceChangeSchema);
        const a = await accessOf(d.db, ctx);
        const node = await nodeParam(d, a, ctx.params.id as string, 'admin');
        for (const [name, target] of Object.entries(change.set)) {
          if (!parseServiceTarget(target)) throw new BurrowError('VALIDATION', `The target of ${name}, "${target}", is not host:port, http(s)://host:port or tcp://host:port.`);
        }
        if (Object.keys(change.set).length === 0 && change.remove.length === 0) throw new BurrowError('VALIDATION', 'Give services to set or to remove.');
        if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}.`);
        const conn = d.registry.get(node.id);
        // The node owns its services: it must take the change itself, so it has to be connected.
        if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline; its services can be changed only while it is connected.`);
        const result = await pushAndWait(d, conn, change, node.name);
        const entry = { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.services', target: node.id, groupId: node.groupId, detail: { set: change.set, remove: change.remove, ...(result.refused ? { refused: result.refused } : {}) } };
        const now = d.clock.now();
        if (!result.applied) {
          await recordAudit(d.db, { ...entry, result: 'denied' }, now);
          throw new BurrowError('SERVICE_TARGET_REFUSED', `Node ${node.name} refused the change: ${result.refused ?? 'no reason given'}.`);
        }
        const services = [...new Set([...node.services.filter((s) => !change.remove.includes(s)), ...Object.keys(change.set)])].sort();
        await d.db.transaction(async (tx) => {
          await setNodeServices(tx, node.id, services);
          await appendAudit(tx, { ...entry, result: 'ok' }, now);
        });
        ctx.body = { ...nodeView(d, { ...node, services }), services };
      },
    },
  ];
}
