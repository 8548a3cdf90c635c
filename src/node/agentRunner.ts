import { unwatchFile, watchFile } from 'node:fs';
import type { Clock } from '../shared/clock.js';
import type { NodeConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { ConnectModeController, connectModeOf, type ConnectMode, type ControllerReport } from './connectModeController.js';
import { loadNodeConfig, nodePaths, readPrivateKey, saveTlsPin, writeAgentState } from './nodeHome.js';
import { setNodeMode } from './nodeMode.js';
import { KeyRotation } from './keyRotation.js';
import { collectNodeStatus, type ScheduleFacts } from './nodeStatus.js';
import type { ProxyTarget } from './proxyConnect.js';
import { resolveProxy } from './proxySettings.js';
import type { ConnectModeSpec } from '../shared/protocol.js';
import { TunnelAgent, type AgentReport } from './tunnelAgent.js';
import { builtinServices } from './builtinServices.js';
import { loadHeapTrim } from './heapTrim.js';
import { IdleHeapTrim } from './idleHeapTrim.js';
import { ServerServiceChanges } from './serverServiceChange.js';
import { NodeConditions } from './conditions/nodeConditions.js';
import type { NodeStatusReport, StatusLine } from '../shared/protocol.js';
import { ApprovalDesk } from './approvals/approvalDesk.js';
import { ApprovalJournal } from './approvals/approvalJournal.js';
import { serveApprovalSocket } from './approvals/approvalSocket.js';
import { NodeTraffic } from './nodeTraffic.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** How often node.json is checked for a new mode; stat polling survives atomic renames. */
const CONFIG_POLL_MS = 500;
/** How often the tunnel's byte count is written to traffic.json (also when a tunnel ends, and at stop). */
const TRAFFIC_FLUSH_MS = 60_000;
/** How long a node switching to on-demand waits for the server to acknowledge its new mode. */
const MODE_REPORT_WAIT_MS = 3_000;

const modeKey = (c: Pick<NodeConfig, 'mode' | 'schedule'>) => JSON.stringify([c.mode, c.mode === 'on-demand' ? (c.schedule ?? null) : null]);

/**
 * Starts the agent daemon of the node in `home`; resolves to a stop function. The
 * connect-mode controller decides when a TunnelAgent runs; a change of mode in
 * node.json (by `burrow node mode`) is picked up without a restart.
 */
export async function runAgent(o: { home: string; env: NodeJS.ProcessEnv; log: Logger; clock: Clock }): Promise<() => Promise<void>> {
  let config = await loadNodeConfig(o.home, o.env);
  const initialMode = connectModeOf(config);
  let privateKey = await readPrivateKey(o.home);
  const keyRotation = new KeyRotation(o.home, config.keyRotationMs, o.clock, (key) => {
    privateKey = key;
  });
  const log = o.log.child({ nodeId: config.nodeId });
  let proxy: ProxyTarget | undefined = await resolveProxy(config, o.env, o.home);
  let agent: TunnelAgent | undefined;
  let agentReport: AgentReport | undefined;
  let ctlReport: ControllerReport | undefined;
  let lastConnectedAt: number | null = null;
  let keyRotationRefused: { at: string; reason: string } | null = null;
  const idleTrim = startIdleTrim(o.clock, log);
  const serviceChanges = new ServerServiceChanges(o.home, log);
  // Whether the server of the current link answered with condition rules: one that did not
  // (older than this agent) would end the channel on a `conditions` line, so it gets reports.
  let serverKnowsConditions = false;
  const conditions = new NodeConditions({
    home: o.home,
    clock: o.clock,
    log,
    onChange: (states, nowFiring) => {
      write();
      // Told at once, not with the next report; a rule that began firing with `connect`
      // makes an on-demand node check in now, and its first report carries the states.
      if (serverKnowsConditions) agent?.sendStatusLine({ conditions: states });
      else if (agent) void collectStatus().then((report) => agent?.sendStatusLine({ report }));
      if (nowFiring.some((w) => w.rule.connect) && controller.checkInNow()) log.info({ conditions: nowFiring.map((w) => w.rule.name) }, 'a condition fired: connecting outside the schedule');
    },
  });
  // Customer approval: the status channel of the link up now carries decisions to the server.
  let sendLine: ((line: StatusLine) => void) | undefined;
  const journal = new ApprovalJournal(o.home, log);
  const desk = new ApprovalDesk({
    clock: o.clock,
    log: log.child({ part: 'approvals' }),
    policy: () => config.approval,
    journal: (e) => journal.append(e),
    send: (approvalDecision) => {
      if (!sendLine) return false;
      sendLine({ approvalDecision });
      return true;
    },
  });
  // Without its socket the agent still runs (and enforces approval); nobody can decide locally then.
  const closeApprovalSocket = await serveApprovalSocket(o.home, desk, log).catch((err: Error) => {
    log.warn({ err: err.message }, 'could not open approvals.sock; "burrow node approve" cannot reach this agent');
    return async () => {};
  });
  const traffic = await NodeTraffic.open({ home: o.home, clock: o.clock, log, flushMs: TRAFFIC_FLUSH_MS });
  // Every report carries the approval policy (so the server knows it before it asks), the conditions' states and the node's count of its traffic.
  const collectStatus = async (facts: ScheduleFacts = { mode: ctlReport?.mode ?? config.mode, nextCheckInAt: ctlReport?.nextCheckInAt ?? null }): Promise<NodeStatusReport> => {
    const states = conditions.states();
    return { ...(await collectNodeStatus(config.services, o.home, facts)), approval: config.approval, traffic: traffic.current(), ...(states.length ? { conditions: states } : {}) };
  };

  let writes = Promise.resolve();
  const write = () => {
    const a = agentReport;
    const c = ctlReport;
    if (!c) return;
    const linked = c.state !== 'sleeping';
    const state = {
      state: linked ? (a?.state ?? 'idle') : 'sleeping',
      mode: c.mode,
      connect: c.state,
      pid: process.pid,
      since: new Date(o.clock.now()).toISOString(),
      lastConnectedAt: iso(lastConnectedAt),
      lastError: a?.lastError ?? null,
      nextAttemptAt: linked ? iso(a?.nextAttemptAt ?? null) : null,
      nextCheckInAt: iso(c.nextCheckInAt),
      lastCheckInAt: iso(c.lastCheckInAt),
      keyRotationRefused,
      conditions: conditions.states(),
    };
    // Serialize the writes so the file always ends with the latest state.
    writes = writes.then(() => writeAgentState(o.home, state)).catch((err: Error) => log.warn({ err: err.message }, 'could not write state.json'));
  };

  // The proposal last acted on, so a refused or applied one is not retried on every reply.
  let lastProposal = '';
  const applyProposal = (p: ConnectModeSpec) => {
    const key = modeKey({ mode: p.mode, schedule: p.mode === 'on-demand' ? p.schedule : undefined });
    if (key === lastProposal || key === modeKey(config)) return;
    lastProposal = key;
    if (config.modeLocked) {
      log.info({ proposed: p.mode }, 'the server proposes another connect mode; ignored because the mode is locked');
      return;
    }
    log.info({ proposed: p.mode }, 'applying the connect mode proposed by the server');
    setNodeMode(o.home, p).catch((err: Error) => log.warn({ err: err.message }, 'could not apply the proposed connect mode'));
  };

  const controller = new ConnectModeController({
    clock: o.clock,
    log,
    holdCheckMs: config.holdCheckMs,
    createLink: () => {
      const a: TunnelAgent = new TunnelAgent({
        config,
        privateKey: () => privateKey,
        keyRotation,
        onKeyRotationRefused: (reason) => {
          keyRotationRefused = { at: new Date(o.clock.now()).toISOString(), reason };
          write();
        },
        clock: o.clock,
        log,
        proxy: () => proxy,
        builtins: builtinServices(config, { home: o.home, clock: o.clock }, () => privateKey, log, o.env),
        admit: (service, grantId) => desk.admit(service, grantId),
        collectStatus,
        onTunnelSocket: (socket) => traffic.attach(socket),
        ...(config.mode === 'on-demand' ? { workPollMs: config.holdCheckMs } : {}),
        ...(idleTrim ? { onRelay: (channel, local) => [channel, local].forEach((s) => idleTrim.watch(s)) } : {}),
        onTlsPin: (pin) => {
          config = { ...config, tlsPin: pin };
          saveTlsPin(o.home, pin).catch((err: Error) => log.warn({ err: err.message }, "could not save the server's new TLS pin; it is learned again at the next connect"));
        },
        onServerReply: (r, send) => {
          if (r.proposedMode) applyProposal(r.proposedMode);
          if (r.serviceChange) serviceChanges.apply(r.serviceChange, send);
          if (r.conditionRules) {
            serverKnowsConditions = true;
            void conditions.receiveAdminRules(r.conditionRules);
          }
          sendLine = send;
          if (r.approvalRequest) desk.receive(r.approvalRequest);
          if (r.approvalWithdraw) desk.withdraw(r.approvalWithdraw.id, r.approvalWithdraw.reason);
          traffic.setBudget(r.dataBudget);
        },
        onReport: (r) => {
          // A stopped agent's last words must not overwrite its successor's state.
          if (agent !== a) return;
          agentReport = r;
          if (r.state !== 'connected') {
            // The server saw the node go: requests that waited are withdrawn on both sides.
            sendLine = undefined;
            desk.withdrawAll('the node disconnected');
          }
          if (r.lastConnectedAt !== null) lastConnectedAt = Math.max(lastConnectedAt ?? 0, r.lastConnectedAt);
          write();
        },
      });
      agent = a;
      agentReport = undefined;
      serverKnowsConditions = false;
      return a;
    },
    onReport: (r) => {
      ctlReport = r;
      write();
    },
  });

  const path = nodePaths(o.home).config;
  const reload = () => {
    loadNodeConfig(o.home, o.env)
      .then(async (next) => {
        const changed = modeKey(next) !== modeKey(config);
        const servicesChanged = JSON.stringify(next.services) !== JSON.stringify(config.services);
        const mode = changed ? connectModeOf(next) : undefined;
        const nextProxy = await resolveProxy(next, o.env, o.home);
        const proxyChanged = JSON.stringify(nextProxy ?? null) !== JSON.stringify(proxy ?? null);
        const approvalChanged = JSON.stringify(next.approval) !== JSON.stringify(config.approval);
        config = next;
        // The server says "waiting for approval on site" from the policy the node last reported.
        if (approvalChanged) void agent?.reportNow(collectStatus, MODE_REPORT_WAIT_MS).catch(() => false);
        proxy = nextProxy;
        void conditions.apply(next);
        // The link up now went the old way: dial again through the new proxy (or directly).
        // The services are announced when the tunnel comes up: a fresh link announces the new
        // set (and dials through the new proxy, if that changed too).
        if (servicesChanged) {
          log.info({ services: Object.keys(next.services) }, 'services changed; reconnecting to announce them');
          await controller.relink();
        } else if (proxyChanged) agent?.redial(nextProxy ? `the proxy is now ${nextProxy.url}` : 'the proxy was cleared');
        if (mode) {
          await tellServerOfMode(mode);
          controller.setMode(mode);
        }
      })
      .catch((err: Error) => log.warn({ err: err.message }, 'node.json changed but cannot be used; keeping the current mode'));
  };
  // A switch to on-demand may end the link at once: the server must first learn the new
  // mode and the next check-in, or it shows an always-on node gone offline and refuses to
  // queue sessions for it.
  const tellServerOfMode = async (mode: ConnectMode) => {
    if (mode.mode !== 'on-demand' || !agent) return;
    const now = o.clock.now();
    const end = mode.schedule.checkInEndingAfter(now);
    const nextCheckInAt = mode.schedule.nextCheckIn(end ?? now);
    const told = await agent.reportNow(() => collectStatus({ mode: mode.mode, nextCheckInAt }), MODE_REPORT_WAIT_MS).catch(() => false);
    if (!told && agent.state === 'connected') log.warn('the server did not answer the report of the new mode in time; it learns it at the next check-in');
  };

  // A backdated key file (`burrow node rotate-key`) starts a rotation over the live tunnel.
  const keyPath = nodePaths(o.home).privateKey;
  const keyTouched = () => agent?.checkKeyRotation();
  watchFile(keyPath, { interval: CONFIG_POLL_MS, persistent: false }, keyTouched);

  // Persistent: while the agent sleeps between check-ins this watcher is all that keeps
  // the process alive (the clock's timers are unref'd).
  watchFile(path, { interval: CONFIG_POLL_MS, persistent: true }, reload);

  log.info({ server: config.serverUrl, services: Object.keys(config.services), shell: config.shell.enabled, jobs: config.jobs.enabled, mode: config.mode, proxy: proxy?.url ?? null }, 'burrow agent starting');
  await conditions.start(config);
  controller.start(initialMode);
  return async () => {
    conditions.close();
    unwatchFile(path, reload);
    unwatchFile(keyPath, keyTouched);
    idleTrim?.cancel();
    // The tunnel goes down cleanly (its SSH disconnect reaches the server) before the process may exit.
    await controller.stop();
    desk.close();
    await closeApprovalSocket();
    await journal.flush();
    await writes;
    await traffic.close();
  };
}

/** Trims the C heap when the agent goes quiet, where burrow's native addon is built. */
function startIdleTrim(clock: Clock, log: Logger): IdleHeapTrim | undefined {
  try {
    return new IdleHeapTrim(clock, loadHeapTrim(), log);
  } catch (err) {
    log.info({ err: (err as Error).message }, 'memory is not handed back after sessions: the native addon is not available');
    return undefined;
  }
}
