import type { Duplex } from 'node:stream';
import type { Clock } from '../../shared/clock.js';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import type { Logger } from '../../shared/log.js';
import { STATUS_LINE_MAX, connectModeSchema, statusLineSchema, type ConnectModeSpec, type StatusReply } from '../../shared/protocol.js';
import type { Database } from '../store/database.js';
import { appendAudit } from '../store/auditStore.js';
import { getNode, getNodeByKey, setNextPublicKey } from '../store/nodeStore.js';
import { insertNodeStatus, setNodeSchedule } from '../store/nodeStatusStore.js';
import type { NodeConnection } from './nodeConnection.js';
import { keyFingerprint, parseSshKey } from '../../shared/sshKeys.js';

/** What the status channel needs from the rest of the server. */
export interface StatusChannelDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** How many reports to keep per node. */
  historyLimit: number;
  /** Whether the server holds work for the node (open or queued sessions, jobs). */
  holdsWork: (nodeId: string) => Promise<boolean>;
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
  readJsonLines(channel, STATUS_LINE_MAX, (value) => {
    queue = queue.then(() => handleLine(conn, channel, value, deps)).catch((err: Error) => {
      deps.log.warn({ err: err.message }, 'status line failed');
      channel.destroy();
    });
  });
}

async function handleLine(conn: NodeConnection, channel: Duplex, value: unknown, deps: StatusChannelDeps): Promise<void> {
  const line = statusLineSchema.safeParse(value);
  if (!line.success) {
    deps.log.warn({ issue: line.error.issues[0]?.message }, 'refused a malformed status line');
    channel.destroy();
    return;
  }
  if ('report' in line.data) {
    const r = line.data.report;
    const now = deps.clock.now();
    await deps.db.transaction(async (tx) => {
      await insertNodeStatus(tx, conn.nodeId, now, r, deps.historyLimit);
      await setNodeSchedule(tx, conn.nodeId, r.mode, r.nextCheckInAt === null ? null : Date.parse(r.nextCheckInAt));
    });
  }
  let keyRegistered: string | undefined;
  if ('rotateKey' in line.data) keyRegistered = await registerNextKey(conn, line.data.rotateKey.publicKey, deps);
  const node = await getNode(deps.db, conn.nodeId);
  const reply: StatusReply = {
    holdsWork: await deps.holdsWork(conn.nodeId),
    proposedMode: parseProposal(node?.proposedMode ?? null),
    ...(keyRegistered ? { keyRegistered } : {}),
  };
  writeJsonLine(channel, reply);
}

/**
 * Registers a node's next key, asked for over its authenticated tunnel; the old key
 * stays valid until the node signs in with the new one. Returns the key on success.
 */
async function registerNextKey(conn: NodeConnection, publicKey: string, deps: StatusChannelDeps): Promise<string | undefined> {
  const key = publicKey.trim();
  const parsed = parseSshKey(key);
  if (parsed instanceof Error || parsed.type !== 'ssh-ed25519') {
    deps.log.warn('refused a rotated key that is not an ed25519 public key');
    return undefined;
  }
  if (await getNodeByKey(deps.db, key)) {
    deps.log.warn('refused a rotated key already in use');
    return undefined;
  }
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await setNextPublicKey(tx, conn.nodeId, key);
    await appendAudit(tx, { actor: conn.nodeId, sourceIp: conn.remoteIp, action: 'node.key.register', target: conn.nodeId, result: 'ok', detail: { fingerprint: keyFingerprint(key) } }, now);
  });
  return key;
}
