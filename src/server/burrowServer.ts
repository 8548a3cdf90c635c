import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Clock } from '../shared/clock.js';
import { serverConfigSchema, serverEnvOverrides, splitHostPort, type ServerConfig } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { readJsonFile } from '../shared/secureFiles.js';
import { SecretBox } from '../shared/secretBox.js';
import { pinOfPem } from '../shared/tlsPin.js';
import { connectionsCheckingIntervalFor, serverTlsPolicy } from '../shared/tlsPolicy.js';
import { ConnectionCap } from './connectionCap.js';
import { NodeRegistry } from './gateway/nodeRegistry.js';
import { TunnelGateway } from './gateway/tunnelGateway.js';
import { serveStatusChannel } from './gateway/statusChannel.js';
import { serverHoldsWork } from './nodeWork.js';
import { SessionQueue } from './sessionQueue.js';
import { createApp } from './http/app.js';
import { JobDispatcher } from './jobs/jobDispatcher.js';
import { TerminalEndpoint } from './shell/terminalEndpoint.js';
import { failOrphanTargets } from './store/jobStore.js';
import { SessionManager } from './sessions/sessionManager.js';
import { appendAudit, auditNeedsSealMark, recordAudit } from './store/auditStore.js';
import { auditPaths, loadAuditKeys } from './audit/auditKeys.js';
import { AuditCheckpointer, readCheckpoints } from './audit/auditCheckpointer.js';
import { DeniedAttempts } from './audit/deniedAttempts.js';
import { Database } from './store/database.js';
import { loadMigrations, migrate } from './store/migrate.js';
import { getNode, markNodeSeen } from './store/nodeStore.js';
import { closeOrphanSessions, getSession } from './store/sessionStore.js';
import { CONSOLE_DIR, MIGRATIONS_DIR, serverPaths } from './serverHome.js';
import { RefusalLog } from './refusalLog.js';

/** Reads server.json and applies environment overrides. */
export async function loadServerConfig(home: string, env: NodeJS.ProcessEnv): Promise<ServerConfig> {
  const raw = await readJsonFile(serverPaths(home).config);
  if (raw === undefined) throw new BurrowError('NOT_INITIALIZED', `No burrow server in ${home}; run "burrow server init" first.`);
  const parsed = serverConfigSchema.safeParse({ ...(raw as object), ...serverEnvOverrides(env) });
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new BurrowError('CONFIG_INVALID', `server.json is invalid: ${i?.path.join('.') ?? ''}: ${i?.message ?? ''}.`);
  }
  return parsed.data;
}

/** A started server; `close()` stops it and waits for everything it started. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Opens the store, then serves the API, the tunnel endpoint and session ports. */
export async function startServer(o: { home: string; config: ServerConfig; log: Logger; clock: Clock }): Promise<RunningServer> {
  const { home, config, log, clock } = o;
  const paths = serverPaths(home);
  const [cert, key, hostKey, hostKeyPub] = await Promise.all(
    [paths.tlsCert, paths.tlsKey, paths.hostKey, paths.hostKeyPub].map((p) => readFile(p, 'utf8')),
  ) as [string, string, string, string];
  const box = await SecretBox.fromKeyFile(paths.secretKey);
  const db = await Database.open(paths.database);
  const applied = await migrate(db, await loadMigrations(MIGRATIONS_DIR));
  if (applied.length) log.info({ applied }, 'migrations applied');
  const auditKeys = await loadAuditKeys(home);
  db.sealAuditWith(auditKeys.macKey);
  if (await auditNeedsSealMark(db)) {
    // A home from before sealing: this entry is the first with a MAC, the switch point.
    await recordAudit(db, { actor: 'system', action: 'audit.seal', result: 'ok', detail: { note: 'entries from here on carry a MAC; earlier ones are hash-chained only' } }, clock.now());
  }
  const checkpointFile = auditPaths(home).checkpoints;
  const checkpointer = new AuditCheckpointer({
    db,
    clock,
    log: log.child({ part: 'audit' }),
    signingKey: auditKeys.signingKey,
    file: checkpointFile,
    intervalMs: config.auditCheckpointIntervalMs,
    ...(config.auditCheckpointWebhook ? { webhookUrl: config.auditCheckpointWebhook } : {}),
  });
  const orphans = await closeOrphanSessions(db, clock.now());
  if (orphans) log.info({ orphans }, 'closed sessions left open by the previous run');

  const denials = new DeniedAttempts({ clock, log: log.child({ part: 'audit' }), write: (e, at) => recordAudit(db, e, at) });
  const registry = new NodeRegistry();
  const tlsOptions = { cert, key, ...serverTlsPolicy() };
  const publicHost = new URL(config.publicUrl).hostname;
  const sessions = new SessionManager({
    db,
    registry,
    clock,
    log: log.child({ part: 'sessions' }),
    tlsOptions,
    denials,
    limits: {
      range: config.sessionPorts,
      host: config.sessionHost,
      publicHost,
      ttlMs: config.sessionTtlMs,
      idleMs: config.sessionIdleMs,
      nodeGraceMs: config.nodeGraceMs,
      maxConnectionsPerIp: config.maxSessionConnectionsPerIp,
      headersTimeoutMs: config.sessionHeadersTimeoutMs,
      concurrency: { perUser: config.maxSessionsPerUser, perNode: config.maxSessionsPerNode, total: config.maxSessions },
    },
  });
  const queue = new SessionQueue({
    db,
    clock,
    log: log.child({ part: 'session-queue' }),
    registry,
    sessions,
    maxWaitMs: config.sessionQueueMaxWaitMs,
    viewSession: async (id) => {
      const r = sessions.get(id) ?? (await getSession(db, id));
      return r ? sessions.view(r) : null;
    },
  });
  const refusals = new RefusalLog(log, clock, 'connection refused: per-address cap reached');
  const connectionCap = new ConnectionCap(config.maxConnectionsPerIp, (ip, open) => refusals.refused(ip, open));
  const gateway = new TunnelGateway({
    hostKey,
    db,
    registry,
    log: log.child({ part: 'gateway' }),
    clock,
    keepaliveIntervalMs: config.keepaliveIntervalMs,
    keepaliveCountMax: config.keepaliveCountMax,
    maxPendingHandshakes: config.maxPendingHandshakes,
    onAuthenticatedSocket: (socket) => connectionCap.release(socket),
    denials,
    authTimeoutMs: config.tunnelAuthTimeoutMs,
    maxAuthAttempts: config.maxTunnelAuthAttempts,
    nodeLimits: { maxServices: config.maxServicesPerNode, maxChannels: config.maxChannelsPerNode },
    onNodeOnline: (conn) => {
      const record = () => {
        const now = clock.now();
        void db
          .transaction(async (tx) => {
            await markNodeSeen(tx, conn.nodeId, now, [...conn.services]);
            const groupId = (await getNode(tx, conn.nodeId))?.groupId ?? null;
            await appendAudit(tx, { actor: conn.nodeId, sourceIp: conn.remoteIp, action: 'node.connect', target: conn.nodeId, result: 'ok', groupId, detail: { services: [...conn.services] } }, now);
          })
          .catch((err: Error) => log.warn({ err: err.message }, 'could not record node connect'));
      };
      // Services arrive as tcpip-forward requests right after auth; record once they settle.
      clock.setTimeout(record, 200);
      conn.once('close', () => {
        const now = clock.now();
        void db
          .transaction(async (tx) => {
            await markNodeSeen(tx, conn.nodeId, now, [...conn.services]);
            const groupId = (await getNode(tx, conn.nodeId))?.groupId ?? null;
            await appendAudit(tx, { actor: conn.nodeId, sourceIp: conn.remoteIp, action: 'node.disconnect', groupId, target: conn.nodeId, result: 'ok', detail: { connectedMs: now - conn.connectedAt } }, now);
          })
          .catch((err: Error) => log.warn({ err: err.message }, 'could not record node disconnect'));
      });
      conn.once('status-ready', () => {
        const statusLog = log.child({ nodeId: conn.nodeId, part: 'status' });
        void serveStatusChannel(conn, { db, clock, log: statusLog, historyLimit: config.statusHistoryLimit, holdsWork: async (id) => jobs.busy(id) || (await serverHoldsWork(db, queue, id)) });
      });
      log.info({ nodeId: conn.nodeId, ip: conn.remoteIp }, 'node connected');
    },
  });
  const orphanJobs = await failOrphanTargets(db, clock.now());
  if (orphanJobs) log.info({ orphanJobs }, 'failed jobs left running by the previous run');
  const jobs = new JobDispatcher({ db, registry, clock, log: log.child({ part: 'jobs' }) });
  const apiDeps = { db, clock, log, box, registry, sessions, queue, sshHostKeyPub: hostKeyPub.trim(), tlsPin: pinOfPem(cert), publicUrl: config.publicUrl, recordingsDir: paths.recordings, jobs, consoleDir: CONSOLE_DIR, denials,
    audit: { macKey: auditKeys.macKey, publicKeyPem: auditKeys.publicKeyPem, checkpoints: () => readCheckpoints(checkpointFile) } };
  const app = createApp(apiDeps);
  const terminals = new TerminalEndpoint({ api: apiDeps, app, hostKey, recordingsDir: paths.recordings });
  jobs.start();

  const server = https.createServer(
    { cert, key, ...serverTlsPolicy(), headersTimeout: config.headersTimeoutMs, requestTimeout: Math.max(60_000, config.headersTimeoutMs), connectionsCheckingInterval: connectionsCheckingIntervalFor(config.headersTimeoutMs) },
    app.callback(),
  );

  connectionCap.attach(server);
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
    else if (terminals.handles(req)) terminals.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  const { host, port } = splitHostPort(config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new BurrowError('CONFIG_INVALID', `Cannot listen on ${config.listen}: ${err.code ?? err.message}.`, { cause: err });
  });
  const actualPort = (server.address() as { port: number }).port;
  await recordAudit(db, { actor: 'system', action: 'server.start', target: config.listen, result: 'ok' }, clock.now());
  await checkpointer.start();
  log.info({ listen: `${host}:${actualPort}`, publicUrl: config.publicUrl }, 'burrow server started');

  let closing: Promise<void> | undefined;
  return {
    port: actualPort,
    close() {
      closing ??= (async () => {
        server.close();
        await sessions.closeAll('server-shutdown');
        jobs.stop();
        terminals.close();
        gateway.close();
        refusals.close();
        server.closeAllConnections();
        await denials.close();
        await recordAudit(db, { actor: 'system', action: 'server.stop', target: config.listen, result: 'ok' }, clock.now()).catch(() => undefined);
        await checkpointer.close();
        await db.close();
      })();
      return closing;
    },
  };
}
