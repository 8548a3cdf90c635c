import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Clock } from '../shared/clock.js';
import { advertisedPeerUrl, splitHostPort, type ServerConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { SecretBox } from '../shared/secretBox.js';
import { connectionsCheckingIntervalFor, serverTlsPolicy } from '../shared/tlsPolicy.js';
import { AuthorityWatch } from './auth/authorityWatch.js';
import { MainPortAdmission } from './mainPortAdmission.js';
import { readOrCreateInstanceId } from './cluster/instanceId.js';
import { openClusterBus } from './cluster/openClusterBus.js';
import { ALERTS_LEASE_KEY, openLeaderLease } from './cluster/openLeaderLease.js';
import { clusterSessionEvents } from './cluster/clusterSessionEvents.js';
import { announceSessions } from './cluster/announceSessions.js';
import { NodeRegistry } from './gateway/nodeRegistry.js';
import { openNodeTunnels } from './gateway/nodeTunnels.js';
import { ApprovalBroker } from './approvals/approvalBroker.js';
import { ApprovalBoard } from './approvals/approvalBoard.js';
import { serverHoldsWork } from './nodeWork.js';
import { SessionQueue } from './sessionQueue.js';
import { createApp } from './http/app.js';
import { JobDispatcher } from './jobs/jobDispatcher.js';
import { TerminalEndpoint } from './shell/terminalEndpoint.js';
import { failOrphanTargets } from './store/jobStore.js';
import { SessionManager } from './sessions/sessionManager.js';
import { sessionLimitsOf } from './sessions/sessionManagerDeps.js';
import { sessionDomainWarnings } from './sessions/sessionView.js';
import { recordAudit } from './store/auditStore.js';
import { openServerAudit } from './audit/serverAudit.js';
import { DeniedAttempts } from './audit/deniedAttempts.js';
import { Database } from './store/database.js';
import { loadMigrations, migrate } from './store/migrate.js';
import { closeOrphanSessions, getSession } from './store/sessionStore.js';
import { lockHome } from './homeLock.js';
import { tightenHome } from './homeModes.js';
import { CONSOLE_DIR, MIGRATIONS_DIR, serverPaths } from './serverHome.js';
import { listenOn } from './listenOn.js';
import { ProxyProtocol } from './proxyProtocol/proxyProtocolGate.js';
import { TrustedBalancers } from './proxyProtocol/trustedBalancers.js';
import { certificateInService } from './certificateFiles.js';
import { CertificateReloader } from './certificateReloader.js';
import { openAccessLog } from './accessLogSink.js';
import { SHELL_ROUTE, logUpgrade } from './http/upgradeAccessLog.js';
import { TUNNEL_PATH } from '../shared/protocol.js';
import { readinessChecks } from './readiness.js';
import { feedMetrics } from './metrics/feedMetrics.js';
import { instrumentStore } from './metrics/instrumentStore.js';
import { listenForMetrics, type MetricsListener } from './metrics/metricsListener.js';
import { ServerMetrics } from './metrics/serverMetrics.js';
import { ClusterNodeDirectory } from './cluster/clusterNodeDirectory.js';
import { InstanceRegistry } from './cluster/instanceRegistry.js';
import { startAlerts } from './alerts/startAlerts.js';
import { readOrCreatePeerCredentials } from './cluster/peerCredentials.js';
import { PeerLinkServer } from './cluster/peerLinkServer.js';
import { MtlsPeerDialer } from './cluster/mtlsPeerDialer.js';

/** Reads server.json and applies environment overrides (serverConfigFile.ts). */
export { loadServerConfig } from './serverConfigFile.js';

/** A started server; `close()` stops it and waits for everything it started. */
export interface RunningServer {
  port: number;
  /** Reads the certificate files again (SIGHUP); true when a new certificate went into service. */
  reloadCertificate(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Takes the home's lock (so a second server refuses before touching anything), makes the
 * home private, opens the store, then serves the API, the tunnel endpoint and session ports.
 */
export async function startServer(o: { home: string; config: ServerConfig; log: Logger; clock: Clock }): Promise<RunningServer> {
  const lock = await lockHome(o.home);
  try {
    await tightenHome(o.home);
    const running = await startLocked(o);
    return {
      port: running.port,
      reloadCertificate: () => running.reloadCertificate(),
      close: async () => {
        await running.close();
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startLocked(o: { home: string; config: ServerConfig; log: Logger; clock: Clock }): Promise<RunningServer> {
  const { home, config, log, clock } = o;
  const paths = serverPaths(home);
  const [cert, key, hostKey, hostKeyPub] = await Promise.all(
    [paths.tlsCert, paths.tlsKey, paths.hostKey, paths.hostKeyPub].map((p) => readFile(p, 'utf8')),
  ) as [string, string, string, string];
  const box = await SecretBox.fromKeyFile(paths.secretKey);
  // Refused before anything listens: a wildcard peerListen with no peerUrl names nothing to dial.
  advertisedPeerUrl(config);
  // Made here for a home from before peer links (init makes it for new ones).
  const peerCredentials = await readOrCreatePeerCredentials(home);
  const metrics = new ServerMetrics();
  const db = instrumentStore(await Database.open(config.database ?? paths.database), (op, seconds) => metrics.storeQuery(op, seconds));
  const migrations = await loadMigrations(MIGRATIONS_DIR);
  const applied = await migrate(db, migrations);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const instanceId = await readOrCreateInstanceId(home);
  const cluster = await openClusterBus(db, instanceId, { clock, log: log.child({ part: 'cluster' }) });
  const audit = await openServerAudit({ home, db, config, clock, log });
  const { checkpointer } = audit;
  const instances = new InstanceRegistry({
    db, bus: cluster, clock, log: log.child({ part: 'cluster' }), peerUrl: advertisedPeerUrl(config) ?? null, heartbeatMs: config.instanceHeartbeatMs, deadAfterMs: config.instanceDeadAfterMs,
    // The store no longer records this instance's tunnels and sessions: let them go, nodes reconnect.
    onDeclaredDead: () => {
      registry.closeAll();
      void sessions.closeAll('instance-lost');
    },
  });
  await instances.start();
  const orphans = await closeOrphanSessions(db, clock.now(), instanceId);
  if (orphans) log.info({ orphans }, 'closed sessions left open by the previous run');

  const access = openAccessLog(config.accessLog, paths.accessLog);
  const denials = new DeniedAttempts({ clock, log: log.child({ part: 'audit' }), write: (e, at) => recordAudit(db, e, at) });
  const registry = new NodeRegistry();
  // Reaches the nodes other instances hold, through their peer links.
  const dialer = new MtlsPeerDialer({ credentials: peerCredentials, clock });
  const nodes = new ClusterNodeDirectory({ local: registry, bus: cluster, db, clock, log: log.child({ part: 'cluster' }), dialer });
  await nodes.start();
  // Customer approval on site: asked over the node's status channel, wherever its tunnel is.
  const siteApprovals = new ApprovalBroker({ db, clock, log: log.child({ part: 'approvals' }), registry: nodes, bus: cluster });
  const tlsOptions = { cert, key, ...serverTlsPolicy() };
  const initialCertificate = certificateInService(cert, key);
  if (initialCertificate.notAfter <= clock.now()) log.warn({ notAfter: new Date(initialCertificate.notAfter).toISOString() }, 'the TLS certificate has expired; nodes still connect (they pin its key), browsers warn');
  const publicHost = new URL(config.publicUrl).hostname;
  const proxyProtocol = new ProxyProtocol({ balancers: new TrustedBalancers(config.proxyProtocolFrom), clock, log: log.child({ part: 'proxy-protocol' }) });
  const sessions = new SessionManager({
    db,
    registry: nodes,
    instanceId,
    clock,
    log: log.child({ part: 'sessions' }),
    tlsOptions,
    denials,
    proxyProtocol,
    limits: sessionLimitsOf(config, publicHost),
    ...(access.log ? { accessLog: access.log } : {}),
    approvals: siteApprovals,
  });
  const stopAnnouncingSessions = announceSessions(sessions, cluster, log.child({ part: 'cluster' }));
  const approvalBoard = new ApprovalBoard(cluster);
  const queue = new SessionQueue({
    db,
    clock,
    log: log.child({ part: 'session-queue' }),
    registry: nodes,
    sessions,
    maxWaitMs: config.sessionQueueMaxWaitMs,
    viewSession: async (id) => {
      const r = sessions.get(id) ?? (await getSession(db, id));
      return r ? sessions.view(r) : null;
    },
  });
  const admission = new MainPortAdmission({ config, clock, log, metrics });
  // The tunnel gateway, with what each node's tunnel writes (connects, status reports, bytes).
  const tunnels = openNodeTunnels({
    config, db, clock, log, hostKey, registry, cluster, instanceId, denials, metrics, admission,
    holdsWork: async (id) => jobs.busy(id) || (await serverHoldsWork(db, queue, id)),
    tlsPins: () => [certificates.current.pin],
  });
  const { gateway, approvals, traffic } = tunnels;
  const orphanJobs = await failOrphanTargets(db, clock.now(), instanceId);
  if (orphanJobs) log.info({ orphanJobs }, 'failed jobs left running by the previous run');
  const jobs = new JobDispatcher({ db, registry, instanceId, cluster, clock, log: log.child({ part: 'jobs' }), approvals: siteApprovals });
  const authority = new AuthorityWatch({ db, clock, log: log.child({ part: 'authority' }), bus: cluster });
  const stopFeeding = feedMetrics(metrics, { registry: nodes, sessions, store: db, clock });
  // Every instance's nodes and sessions, watched by whichever instance holds the alerts lease.
  const clusterSessions = clusterSessionEvents(cluster);
  const alertsLease = openLeaderLease(db, { key: ALERTS_LEASE_KEY, name: `burrow-alerts-${instanceId}`, clock, log: log.child({ part: 'alerts' }) });
  const alerts = startAlerts({ db, box, clock, log: log.child({ part: 'alerts' }), registry: nodes, sessions: clusterSessions.events, config, lease: alertsLease });
  const peerLink = config.peerListen
    ? new PeerLinkServer({ credentials: peerCredentials, localNode: (nodeId) => registry.get(nodeId), clock, log: log.child({ part: 'peer-link' }), audit: (e, at) => recordAudit(db, e, at), observer: metrics })
    : undefined;
  // Filled in as each port listens; /readyz reads them then.
  const listeners: Record<string, { readonly listening: boolean }> = {};
  const apiDeps = { db, clock, log, box, authority, cluster, approvalBoard, registry: nodes, sessions, queue, sshHostKeyPub: hostKeyPub.trim(), get tlsPin() { return certificates.current.pin; }, publicUrl: config.publicUrl, recordingsDir: paths.recordings, consoleDir: CONSOLE_DIR, approvals, siteApprovals, keyRotationMinIntervalMs: config.keyRotationMinIntervalMs, denials,
    audit: { macKey: audit.keys.macKey, publicKeyPem: audit.keys.publicKeyPem, checkpoints: audit.checkpoints },
    alerts: alerts.api,
    budgetChanged: (nodeId: string) => traffic.judge(nodeId),
    requestObserver: metrics, readiness: readinessChecks({ store: db, migrations: migrations.map((m) => m.version), listeners, bus: cluster }), ...(access.log ? { accessLog: access.log } : {}) };
  const app = createApp(apiDeps);
  const terminals = new TerminalEndpoint({ api: apiDeps, app, hostKey, recordingsDir: paths.recordings });
  jobs.start();
  traffic.start();

  const server = https.createServer(
    { cert, key, ...serverTlsPolicy(), headersTimeout: config.headersTimeoutMs, requestTimeout: Math.max(60_000, config.headersTimeoutMs), connectionsCheckingInterval: connectionsCheckingIntervalFor(config.headersTimeoutMs) },
    app.callback(),
  );

  // A renewed certificate serves new connections; open ones (tunnels, sessions) keep theirs.
  const certificates = new CertificateReloader({
    certPath: paths.tlsCert,
    keyPath: paths.tlsKey,
    initial: initialCertificate,
    clock,
    log: log.child({ part: 'tls' }),
    apply: (c) => {
      server.setSecureContext({ cert: c.cert, key: c.key });
      sessions.setCertificate({ cert: c.cert, key: c.key });
    },
    audit: (result, detail) => recordAudit(db, { actor: 'system', action: 'server.cert.reload', target: config.listen, result, detail }, clock.now()),
  });
  admission.attach(server);
  // After every other connection listener, so that it runs before them (TLS included).
  const proxyGate = proxyProtocol.attach(server);
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (access.log) logUpgrade({ log: access.log, clock }, req, socket, gateway.handles(req) ? TUNNEL_PATH : terminals.handles(req) ? SHELL_ROUTE : null);
    if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
    else if (terminals.handles(req)) terminals.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await listenOn(server, config.listen);
  const { host } = splitHostPort(config.listen);
  const actualPort = (server.address() as { port: number }).port;
  listeners.api = server;
  let metricsListener: MetricsListener | undefined;
  if (config.metricsListen) {
    metricsListener = await listenForMetrics(config.metricsListen, metrics, log).catch((err: unknown) => {
      server.close();
      throw err;
    });
    listeners.metrics = metricsListener;
    log.info({ listen: config.metricsListen, port: metricsListener.port }, 'serving /metrics');
  }
  if (peerLink && config.peerListen) {
    await peerLink.listen(config.peerListen).catch(async (err: unknown) => {
      server.close();
      await metricsListener?.close();
      throw err;
    });
    listeners.peer = peerLink;
    log.info({ listen: config.peerListen, port: peerLink.port, peerUrl: advertisedPeerUrl(config) }, 'serving the peer link');
  }
  await recordAudit(db, { actor: 'system', action: 'server.start', target: config.listen, result: 'ok' }, clock.now());
  await alerts.start();
  await checkpointer.start();
  certificates.start();
  log.info({ listen: `${host}:${actualPort}`, publicUrl: config.publicUrl, sessionDomain: config.sessionDomain ?? null }, 'burrow server started');
  for (const w of sessionDomainWarnings({ publicHost, ...(config.sessionDomain ? { sessionDomain: config.sessionDomain } : {}) })) log.warn(w);

  let closing: Promise<void> | undefined;
  return {
    port: actualPort,
    reloadCertificate: () => certificates.reload('sighup'),
    close() {
      // Children first, the store last: each child writes its last records (session and
      // shell ends, job results, node disconnects) before the store closes under it.
      closing ??= (async () => {
        server.close();
        proxyGate.close();
        proxyProtocol.close();
        await metricsListener?.close();
        await peerLink?.close();
        stopFeeding();
        await alerts.close();
        clusterSessions.stop();
        authority.close();
        await certificates.close();
        await sessions.closeAll('server-shutdown');
        await dialer.close();
        const jobsStopped = jobs.stop();
        const terminalsClosed = terminals.close();
        // Dropping the tunnels ends the shells and job deliveries still waiting on a node.
        await gateway.close();
        await Promise.all([jobsStopped, terminalsClosed]);
        await traffic.close();
        admission.close();
        server.closeAllConnections();
        await tunnels.writesDone();
        await instances.close().catch((err: Error) => log.warn({ err: err.message }, 'could not mark this instance stopped'));
        await nodes.close();
        await denials.close();
        stopAnnouncingSessions();
        approvalBoard.close();
        await cluster.close();
        await recordAudit(db, { actor: 'system', action: 'server.stop', target: config.listen, result: 'ok' }, clock.now()).catch(() => undefined);
        await checkpointer.close();
        await db.close();
        access.close();
      })();
      return closing;
    },
  };
}
