import type { Clock } from '../../shared/clock.js';
import type { ServerConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import { auditNeedsSealMark, recordAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import type { Checkpoint } from './auditCheckpoint.js';
import { AuditCheckpointer, readCheckpoints } from './auditCheckpointer.js';
import { auditPaths, loadAuditKeys, type AuditKeys } from './auditKeys.js';

/** The audit trail of a starting server. */
export interface ServerAudit {
  keys: AuditKeys;
  /** Made, not started: the server starts it once it serves. */
  checkpointer: AuditCheckpointer;
  /** The signed checkpoints written so far, outside the database. */
  checkpoints: () => Promise<Checkpoint[]>;
}

/**
 * Loads (or makes) the audit keys and has the store seal every entry with a MAC from now
 * on; a home from before sealing gets the entry that marks the switch point.
 */
export async function openServerAudit(o: { home: string; db: Database; config: ServerConfig; clock: Clock; log: Logger }): Promise<ServerAudit> {
  const { home, db, config, clock } = o;
  const keys = await loadAuditKeys(home);
  db.sealAuditWith(keys.macKey);
  if (await auditNeedsSealMark(db)) {
    // A home from before sealing: this entry is the first with a MAC, the switch point.
    await recordAudit(db, { actor: 'system', action: 'audit.seal', result: 'ok', detail: { note: 'entries from here on carry a MAC; earlier ones are hash-chained only' } }, clock.now());
  }
  const file = auditPaths(home).checkpoints;
  const checkpointer = new AuditCheckpointer({
    db,
    clock,
    log: o.log.child({ part: 'audit' }),
    signingKey: keys.signingKey,
    file,
    intervalMs: config.auditCheckpointIntervalMs,
    ...(config.auditCheckpointWebhook ? { webhookUrl: config.auditCheckpointWebhook } : {}),
  });
  return { keys, checkpointer, checkpoints: () => readCheckpoints(file) };
}
