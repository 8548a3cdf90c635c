import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import { recordAudit, type AuditEntry } from '../store/auditStore.js';
import type { Database } from '../store/database.js';

/** Where a refused session request is written. */
export interface SessionDenialDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** Audits refusals rate-limited per address; without it each is written as it comes. */
  denials?: DenialRecorder;
}

/** Which session refused whom, and why. */
export interface SessionDenial {
  sessionId: string;
  nodeId: string;
  groupId: string;
  ip: string;
  reason: string;
}

/** Audits one refused connection or request on a session port (`session.deny`). */
export function auditSessionDenial(deps: SessionDenialDeps, d: SessionDenial): void {
  const entry: Omit<AuditEntry, 'result'> = {
    actor: 'anonymous',
    sourceIp: d.ip,
    action: 'session.deny',
    target: d.nodeId,
    groupId: d.groupId,
    detail: { sessionId: d.sessionId, reason: d.reason },
  };
  if (deps.denials) {
    deps.denials.denied(entry);
    return;
  }
  void recordAudit(deps.db, { ...entry, result: 'denied' }, deps.clock.now()).catch((err: Error) => deps.log.warn({ err: err.message }, 'audit write failed'));
}
