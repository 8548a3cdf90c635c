import type { SessionType } from '../../shared/protocol.js';
import type { NodeRecord } from '../store/nodeStore.js';
import type { SessionManagerDeps, SessionRequest } from './sessionManagerDeps.js';

/**
 * How long a session's approval may serve it: a day, the most a node grants, so an extended
 * session keeps its grant; the grant ends on the node when the session closes.
 */
const SESSION_GRANT_MS = 24 * 3_600_000;

/**
 * Asks a person on the node's site to approve a session about to open, when the node's
 * policy wants it (see ApprovalBroker); resolves with the grant's id, or undefined when no
 * approval is needed. One grant serves every connection of the session.
 */
export function approveSession(deps: Pick<SessionManagerDeps, 'approvals'>, node: Pick<NodeRecord, 'id' | 'groupId'>, req: SessionRequest, sessionId: string, type: SessionType): Promise<string | undefined> {
  if (!deps.approvals) return Promise.resolve(undefined);
  return deps.approvals.obtain({
    nodeId: node.id,
    groupId: node.groupId,
    kind: 'session',
    service: req.service,
    subject: sessionId,
    userId: req.userId,
    sourceIp: req.sourceIp,
    what: `a ${type === 'tcp' ? 'TCP' : 'WebUI'} session to the service "${req.service}"`,
    validForMs: SESSION_GRANT_MS,
    ...(req.signal ? { signal: req.signal } : {}),
  });
}
