import type { Duplex } from 'node:stream';
import type { Clock } from '../../shared/clock.js';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import type { Logger } from '../../shared/log.js';
import { STATUS_LINE_MAX, connectModeSchema, statusLineSchema, type ConnectModeSpec, type NodeStatusReport, type ServiceChange, type StatusReply } from '../../shared/protocol.js';
import type { Database, Queryable } from '../store/database.js';
import type { BatchedWrites } from '../store/batchedWrites.js';
import type { ApprovalPush } from '../../shared/approvalProtocol.js';
import { appendAudit } from '../store/auditStore.js';
import { getNode, getNodeByKey, setNextPublicKey } from '../store/nodeStore.js';
import { insertNodeStatus, setNodeSchedule } from '../store/nodeStatusStore.js';
import type { NodeConnection } from './nodeConnection.js';
import type { BudgetNotice } from '../../shared/dataBudget.js';
import type { NodeWriteBudget } from './nodeWriteBudget.js';
import { keyFingerprint, parseSshKey } from '../../shared/sshKeys.js';
import { keyRotationRefusal } from './keyRotationLimit.js';
import { ConditionRelay } from './conditionRelay.js';

/** What the status channel needs from the rest of the server. */
export interface StatusChannelDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** How many reports to keep per node. */
  historyLimit: number;
  /** Whether the server holds work for the node (open or queued sessions, jobs). */
  holdsWork: (nodeId: string) => Promise<boolean>;
  /** Bounds the status history rows one node may write. */
  statusBudget: NodeWriteBudget;
  /** A node may register a rotated key at most once per this interval. */
  keyRotationMinIntervalMs: number;
  /** Pins of the TLS certificate in service, told to nodes so they can follow a new key. */
  tlsPins?: () => string[];
  /** The node's data budget and the server's count, told in every reply when one is set. */
  budgetOf?: (nodeId: string) => Promise<BudgetNotice | undefined>;
  /** Commits reports together with other nodes' writes when they crowd in (else one transaction each). */
  writes?: BatchedWrites;
}

/** The proposal stored on a node, if it is still a valid mode. */
function parseProposal(text: string | null): ConnectModeSpec | null {
  if (!text) return null;
  const parsed = connectModeSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

/**
 * Opens the status channel on a freshly connected node and serves it: stores each health
 * report (bounded history), records the node's mode and next check-in, and answers every
 * line with whether work waits for the node and which mode the server proposes.
 */
export async function serveStatusChannel(conn: NodeConnection, deps: StatusChannelDeps): Promise<void> {
  let channel: Duplex;
  try {
    channel = await conn.openStatusChannel();
  } catch (err) {
    // An agent too old to know the channel still gets a tunnel, only no status.
    deps.log.info({ err: (err as Error).message }, 'node did not accept the status channel');
    return;
  }
  channel.on('error', (err) => deps.log.debug({ err: err.message }, 'status channel error'));
  conn.once('close', () => channel.destroy());
  // Lines are answered in order: a slow store must not let replies overtake each other.
  let queue = Promise.resolve();
  const serve = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((err: Error) => {
      deps.log.warn({ err: err.message }, 'status line failed');
      channel.destroy();
    });
  };
  const conditions = new ConditionRelay(conn.nodeId, deps);
  readJsonLines(channel, STATUS_LINE_MAX, (value) => serve(() => handleLine(conn, channel, value, deps, conditions)));
  // An administrator changed the node's condition rules: they go out unasked.
  const pushConditions = () => serve(async () => {
    const rules = await conditions.pending();
    if (rules.conditionRules) writeJsonLine(channel, { ...(await replyFor(conn.nodeId, deps)), ...rules });
  });
  conn.on('conditions-changed', pushConditions);
  conn.once('close', () => conn.off('conditions-changed', pushConditions));
  // An administrator's request goes out unasked, in order with the replies.
  const askRotation = () => serve(async () => writeJsonLine(channel, { ...(await replyFor(conn.nodeId, deps)), rotateKeyNow: true }));
  conn.on('rotate-key', askRotation);
  conn.once('close', () => conn.off('rotate-key', askRotation));
  const pushServices = (change: ServiceChange & { id: string }) => serve(async () => writeJsonLine(channel, { ...(await replyFor(conn.nodeId, deps)), serviceChange: change }));
  conn.on('service-change', pushServices);
  conn.once('close', () => conn.off('service-change', pushServices));
  const pushApproval = (push: ApprovalPush) =>
    serve(async () => writeJsonLine(channel, { ...(await replyFor(conn.nodeId, deps)), ...('request' in push ? { approvalRequest: push.request } : { approvalWithdraw: push.withdraw }) }));
  conn.on('approval-push', pushApproval);
  conn.once('close', () => conn.off('approval-push', pushApproval));
}

/** The parts of every reply: work held and the proposed mode. */
async function replyFor(nodeId: string, deps: StatusChannelDeps): Promise<StatusReply> {
  const node = await getNode(deps.db, nodeId);
  const tlsPins = deps.tlsPins?.();
  const dataBudget = await deps.budgetOf?.(nodeId);
  return { holdsWork: await deps.holdsWork(nodeId), proposedMode: parseProposal(node?.proposedMode ?? null), ...(tlsPins ? { tlsPins } : {}), ...(dataBudget ? { dataBudget } : {}) };
}

async function handleLine(conn: NodeConnection, channel: Duplex, value: unknown, deps: StatusChannelDeps, conditions: ConditionRelay): Promise<void> {
  const line = statusLineSchema.safeParse(value);
  if (!line.success) {
    deps.log.warn({ issue: line.error.issues[0]?.message }, 'refused a malformed status line');
    channel.destroy();
    return;
  }
  if ('report' in line.data) await storeReport(conn.nodeId, line.data.report, deps);
  const states = 'report' in line.data ? line.data.report.conditions : 'conditions' in line.data ? line.data.conditions : undefined;
  if (states) await conditions.store(states);
  // Whoever pushed the change waits for this answer (nodeServiceRoutes.ts).
  if ('serviceResult' in line.data) conn.emit('service-result', line.data.serviceResult);
  // Whoever asked for the approval waits for this decision (approvalBroker.ts).
  if ('approvalDecision' in line.data) conn.emit('approval-decision', line.data.approvalDecision);
  let key: { keyRegistered: string } | { keyRefused: string } | undefined;
  if ('rotateKey' in line.data) key = await registerNextKey(conn, line.data.rotateKey.publicKey, deps);
  writeJsonLine(channel, { ...(await replyFor(conn.nodeId, deps)), ...key, ...(await conditions.pending()) });
}

/**
 * Keeps a report: the node's mode and next check-in whenever they change (one row, so
 * never dropped: a node leaving for on-demand says so in its last report), the history
 * row within the node's write budget.
 */
async function storeReport(nodeId: string, r: NodeStatusReport, deps: StatusChannelDeps): Promise<void> {
  const now = deps.clock.now();
  const nextCheckInAt = r.nextCheckInAt === null ? null : Date.parse(r.nextCheckInAt);
  const node = await getNode(deps.db, nodeId);
  const scheduleChanged = node?.mode !== r.mode || node.nextCheckInAt !== nextCheckInAt;
  const history = deps.statusBudget.take(nodeId);
  if (!history.ok) deps.log.debug('status report not kept: the node reports faster than its budget allows');
  if (!history.ok && !scheduleChanged) return;
  const write = async (tx: Queryable) => {
    if (history.ok) await insertNodeStatus(tx, nodeId, now, r, deps.historyLimit);
    if (scheduleChanged) await setNodeSchedule(tx, nodeId, r.mode, nextCheckInAt);
  };
  await (deps.writes ? deps.writes.run(write) : deps.db.transaction(write));
}

/**
 * Registers a node's next key, asked for over its authenticated tunnel; the old key
 * stays valid until the node signs in with the new one. At most one registration per
 * node per interval: more are refused (not audited, so they cannot flood the log).
 */
async function registerNextKey(conn: NodeConnection, publicKey: string, deps: StatusChannelDeps): Promise<{ keyRegistered: string } | { keyRefused: string }> {
  const key = publicKey.trim();
  const parsed = parseSshKey(key);
  if (parsed instanceof Error || parsed.type !== 'ssh-ed25519') {
    deps.log.warn('refused a rotated key that is not an ed25519 public key');
    return { keyRefused: 'the next key is not an ed25519 public key' };
  }
  const now = deps.clock.now();
  const node = await getNode(deps.db, conn.nodeId);
  const tooSoon = node ? keyRotationRefusal(node, now, deps.keyRotationMinIntervalMs) : undefined;
  if (tooSoon) {
    deps.log.info({ reason: tooSoon }, 'refused a key rotation');
    return { keyRefused: tooSoon };
  }
  if (await getNodeByKey(deps.db, key)) {
    deps.log.warn('refused a rotated key already in use');
    return { keyRefused: 'the next key is already in use' };
  }
  await deps.db.transaction(async (tx) => {
    await setNextPublicKey(tx, conn.nodeId, key, now);
    await appendAudit(tx, { actor: conn.nodeId, sourceIp: conn.remoteIp, action: 'node.key.register', target: conn.nodeId, result: 'ok', detail: { fingerprint: keyFingerprint(key) } }, now);
  });
  return { keyRegistered: key };
}
