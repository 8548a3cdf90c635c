import { BurrowError } from '../../shared/errors.js';
import { internalServiceReason, isInternalService } from '../../shared/internalServices.js';
import { recordAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';

/** Who asked for a session on which service, as far as the refusal's audit entry needs it. */
export interface SessionAsk {
  service: string;
  userId: string;
  sourceIp: string;
}

/**
 * Refuses a session on one of burrow's own services (shell, jobs): its port would lead to a
 * protocol no client speaks (502 in a browser, an SSH server that admits only the burrow
 * server). The attempt is audited as denied, then a SERVICE_INTERNAL error names what to use.
 */
export async function refuseInternalService(
  deps: { db: Database; clock: { now(): number } },
  action: 'session.open' | 'session.queue',
  ask: SessionAsk,
  node: { id: string; name: string; groupId: string },
): Promise<void> {
  if (!isInternalService(ask.service)) return;
  await recordAudit(deps.db, {
    actor: ask.userId,
    sourceIp: ask.sourceIp,
    action,
    target: node.id,
    result: 'denied',
    groupId: node.groupId,
    detail: { service: ask.service, reason: 'internal-service' },
  }, deps.clock.now());
  throw new BurrowError('SERVICE_INTERNAL', internalServiceReason(ask.service, node.name));
}
