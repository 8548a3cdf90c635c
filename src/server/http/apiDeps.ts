import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { AuthorityWatch } from '../auth/authorityWatch.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { SecretBox } from '../../shared/secretBox.js';
import type { NodeDirectory } from '../cluster/nodeDirectory.js';
import type { PendingApprovals } from '../gateway/pendingApprovals.js';
import type { ApprovalBroker } from '../approvals/approvalBroker.js';
import type { ApprovalBoard } from '../approvals/approvalBoard.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import type { SessionQueue } from '../sessionQueue.js';
import type { Database } from '../store/database.js';
import type { Checkpoint } from '../audit/auditCheckpoint.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import type { RequestObserver } from './accessLog.js';
import type { AlertDelivery } from '../alerts/alertDelivery.js';
import type { TargetPolicy } from '../alerts/targetPolicy.js';

/** The audit log's keys and signed checkpoints, kept outside the database. */
export interface AuditAnchors {
  macKey: Buffer;
  /** The checkpoint signing key's public half (PEM), what an auditor verifies with. */
  publicKeyPem: string;
  checkpoints(): Promise<Checkpoint[]>;
}

/** Everything the API handlers reach for. */
export interface ApiDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  box: SecretBox;
  /** The online nodes of every instance. */
  registry: NodeDirectory;
  sessions: SessionManager;
  /** Sessions waiting for on-demand nodes to check in. */
  queue: SessionQueue;
  sshHostKeyPub: string;
  tlsPin: string;
  publicUrl: string;
  /** The built console (index.html and assets); none is served when unset. */
  consoleDir?: string;
  /** Where terminal transcripts are kept. */
  recordingsDir: string;
  /** Ends long-lived connections whose authority ends; told of every authority change. */
  authority: AuthorityWatch;
  /** Messages to and from the other instances of the deployment (and this one). */
  cluster: ClusterBus;
  /** Pending nodes' sign-ins waiting for approval, woken when one is approved. */
  approvals?: PendingApprovals;
  /** Customer approval: asks the person on a node's site before a shell opens there. */
  siteApprovals?: ApprovalBroker;
  /**
   * The requests for approval on site waiting now, on every instance. Made by whoever makes
   * these deps, not by a route: it must follow the bus from start-up, so a console that
   * connects later is shown what already waits, and once only, however many apps are built.
   */
  approvalBoard: ApprovalBoard;
  /** A node may rotate its key at most once per this interval (1 h when unset). */
  keyRotationMinIntervalMs?: number;
  audit: AuditAnchors;
  /** Audits refused attempts, rate-limited per actor and action. */
  denials: DenialRecorder;
  /** Where access-log lines go; none are written when unset. */
  accessLog?: Logger;
  /** Told of every answered request (metrics). */
  requestObserver?: RequestObserver;
  /** The checks /readyz runs; resolves to the names of those failing (none: ready). Unset: only the store is checked. */
  readiness?: () => Promise<string[]>;
  /** Alert delivery ("send test") and where alert channels may connect; unset, a delivery refusing private targets. */
  alerts?: { delivery: Pick<AlertDelivery, 'deliver'>; policy: TargetPolicy };
  /** Applies a node's changed data budget to its tunnel on this instance now (others do at their next flush). */
  budgetChanged?: (nodeId: string) => Promise<void>;
}
