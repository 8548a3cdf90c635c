import ssh2 from 'ssh2';
import type { ClientChannel, TcpConnectionDetails } from 'ssh2';
import type { WebSocket } from 'ws';
import type { TimerHandle } from '../shared/clock.js';
import { SERVICE_PORT, STATUS_CHANNEL, type NodeStatusReport, type StatusLine, type StatusReply } from '../shared/protocol.js';
import { createTunnelStream } from '../shared/tunnelStream.js';
import { StateMachine } from '../shared/stateMachine.js';
import { TUNNEL_CLOSE } from '../shared/tunnelClose.js';
import { ReconnectPolicy, type AttemptOutcome } from './reconnectPolicy.js';
import { closeTunnelSocket, dialTunnel } from './tunnelSocket.js';
import { ServiceForwarder } from './serviceForwarder.js';
import { AgentStatusLink } from './agentStatusLink.js';
import { TunnelKeyRotation } from './tunnelKeyRotation.js';
import { ServerTlsKey } from './tlsRepin.js';
import { agentTransitions, type AgentState, type TunnelAgentDeps } from './tunnelAgentDeps.js';
import { describeSshError } from './sshErrors.js';
import { TunnelAttemptEnd } from './tunnelAttemptEnd.js';
import { TunnelSshCredentials } from './tunnelSshCredentials.js';

export { agentTransitions, type AgentReport, type AgentState, type TunnelAgentDeps } from './tunnelAgentDeps.js';

/** How long an unconfirmed connection (the TLS key changed) waits for the server to vouch for it. */
const CONFIRM_TIMEOUT_MS = 15_000;

/**
 * Keeps the node's tunnel up: dials wss to the server (TLS pinned), runs SSH over it with
 * the node's key (host key pinned), announces the allow-listed services, and reconnects
 * with capped, jittered backoff when the link drops.
 */
export class TunnelAgent {
  private readonly lifecycle: StateMachine<AgentState>;
  private readonly reconnect: ReconnectPolicy;
  private readonly forwarder: ServiceForwarder;
  private ws?: WebSocket;
  private ssh?: ssh2.Client;
  private timer?: TimerHandle;
  private lastConnectedAt: number | null = null;
  private lastError: string | null = null;
  private nextAttemptAt: number | null = null;
  private readonly status?: AgentStatusLink;
  private readonly rotation: TunnelKeyRotation;
  private readonly credentials: TunnelSshCredentials;
  /** Set by the first stop(): resolves once the tunnel is down. */
  private stopped?: Promise<void>;
  /** Ends the current connection (it then reconnects as after any drop). */
  private dropConnection?: (why: string) => void;
  /** The next attempt goes at once, not after the backoff: settings changed (redial()). */
  private redialAtOnce = false;
  /** The TLS pin dialled with (the enrolled one, or the key learned since) and what each attempt was shown. */
  private readonly serverKey: ServerTlsKey;

  constructor(private readonly deps: TunnelAgentDeps) {
    if (!deps.config.nodeId || !deps.privateKey()) throw new Error('TunnelAgent needs an enrolled config and a private key');
    this.lifecycle = new StateMachine<AgentState>('idle', agentTransitions, deps.log, () => this.report());
    const { backoffInitialMs, backoffMaxMs, pendingRetryMs } = deps.config;
    this.reconnect = new ReconnectPolicy({ backoffInitialMs, backoffMaxMs, pendingRetryMs });
    this.forwarder = new ServiceForwarder(deps.config.services, deps.log, deps.builtins, deps.onRelay, deps.admit);
    this.credentials = new TunnelSshCredentials(deps.config.nodeId, deps.config.sshHostKey);
    this.rotation = new TunnelKeyRotation(deps.keyRotation, deps.log, () => deps.clock.now(), deps.onKeyRotationRefused);
    this.serverKey = new ServerTlsKey(deps.config.tlsPin, (pin, previous) => {
      deps.log.info({ pin, previous }, "pinned the server's new TLS key");
      deps.onTlsPin?.(pin);
    });
    if (deps.collectStatus) {
      this.status = new AgentStatusLink({
        clock: deps.clock,
        log: deps.log,
        collect: deps.collectStatus,
        reportEveryMs: deps.config.statusIntervalMs,
        ...(deps.workPollMs !== undefined ? { pollEveryMs: deps.workPollMs } : {}),
        screen: (r) => this.followTlsPins(r),
        ...(deps.onServerReply ? { onServerReply: deps.onServerReply } : {}),
        rotation: this.rotation,
        drop: (why) => this.dropConnection?.(why),
      });
    }
  }

  /** The state now. */
  get state(): AgentState {
    return this.lifecycle.state;
  }

  /** Whether the server said, in its last status reply, that it holds work for this node. */
  get serverHoldsWork(): boolean {
    return (this.status?.holdsWork ?? false) && this.lifecycle.state === 'connected';
  }

  /** Starts connecting; the agent then keeps itself connected until `stop()`. */
  start(): void {
    this.reconnect.started(this.deps.clock.now());
    this.connect();
  }

  private connect(): void {
    const { config, log, privateKey } = this.deps;
    this.nextAttemptAt = null;
    const outcome: AttemptOutcome = { connectedForMs: 0 };
    this.lifecycle.transition('connecting');
    this.serverKey.beginAttempt();
    // A certificate that does not match the pin is taken only as far as SSH, which checks
    // the pinned host key; the server then has to vouch for it (tlsRepin.ts).
    const onPeer = (pin: string, verified: boolean) => {
      this.serverKey.presented(pin, verified);
      return this.status !== undefined;
    };
    const ws = dialTunnel(config, this.deps.proxy?.(), { pin: this.serverKey.dialPin, onPeer }, this.deps.localAddress);
    this.ws = ws;
    ws.once('upgrade', (res) => this.deps.onTunnelSocket?.(res.socket));
    const ssh = new ssh2.Client();
    this.ssh = ssh;
    let confirmTimer: TimerHandle | undefined;
    let connectedAt = 0;
    const attempt = new TunnelAttemptEnd(ws, ssh, this.deps.clock, (why) => {
      if (confirmTimer) this.deps.clock.clearTimeout(confirmTimer);
      this.status?.close();
      this.rotation.abandon();
      ssh.end();
      if (connectedAt > 0) outcome.connectedForMs = this.deps.clock.now() - connectedAt;
      this.scheduleReconnect(why, outcome);
    });
    const end = (reason: string) => attempt.end(reason);
    this.dropConnection = end;
    // Set when the server answered the upgrade with an HTTP status: that is the error to
    // report, not the "closed before established" that terminating the socket raises.
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      const seconds = Number(res.headers['retry-after']);
      if (res.statusCode === 503 && Number.isFinite(seconds) && seconds > 0) outcome.retryHintMs = Math.min(seconds, 300) * 1000;
      this.lastError = res.statusCode === 503 ? 'the server is busy' : `the server answered HTTP ${res.statusCode ?? '?'} instead of opening the tunnel`;
      res.resume();
      ws.terminate();
    });
    ws.on('close', (code, reason) => {
      if (code === TUNNEL_CLOSE.revoked.code || code === TUNNEL_CLOSE.pending.code) outcome.closeCode = code;
      if (reason.length) attempt.why = `server closed the tunnel: ${reason.toString()}`;
      attempt.finish();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      // Before the tunnel was up; ECONNRESET also names a TLS handshake cut short.
      if (connectedAt === 0 && err.code === 'ECONNREFUSED') outcome.turnedAway = 'refused';
      if (connectedAt === 0 && err.code === 'ECONNRESET') outcome.turnedAway = 'reset';
      if (!refused) this.lastError = err.message;
      end(this.lastError ?? err.message);
    });
    ws.once('open', () => {
      const stream = createTunnelStream(ws);
      stream.on('error', () => undefined);
      ssh.connect({
        sock: stream as never,
        username: config.nodeId,
        authHandler: [this.credentials.auth(privateKey())],
        hostVerifier: (key: Buffer) => this.hostKeyMatches(key),
        keepaliveInterval: config.keepaliveIntervalMs,
        keepaliveCountMax: config.keepaliveCountMax,
        readyTimeout: 20_000,
      });
    });
    ssh.on('ready', () => {
      const presented = this.serverKey.unconfirmed;
      if (presented !== undefined) {
        // No service is announced over a connection whose TLS key the server has not vouched for.
        log.info({ presented }, "the server's TLS certificate has a new key; asking the server over SSH to confirm it");
        ssh.forwardIn(STATUS_CHANNEL, SERVICE_PORT, () => undefined);
        confirmTimer = this.deps.clock.setTimeout(() => end('the server did not confirm its new TLS certificate in time'), CONFIRM_TIMEOUT_MS);
        return;
      }
      connectedAt = this.deps.clock.now();
      this.lastConnectedAt = connectedAt;
      this.lastError = null;
      this.forwarder.announce(ssh, this.status !== undefined);
      if (this.lifecycle.state === 'connecting') this.lifecycle.transition('connected');
      log.info({ services: this.forwarder.names }, 'tunnel up');
    });
    ssh.on('tcp connection', (info: TcpConnectionDetails, accept: () => ClientChannel, reject: () => void) => {
      if (info.destIP === STATUS_CHANNEL) this.startReporter(accept, reject);
      else this.forwarder.handle(info, accept, reject);
    });
    ssh.on('error', (err: Error & { level?: string }) => {
      this.lastError = describeSshError(err);
      end(this.lastError);
      // A keepalive timeout means the link is dead: a close handshake would never finish.
      if (err.level === 'client-timeout') ws.terminate();
    });
    ssh.on('close', () => end('tunnel closed'));
  }

  private startReporter(accept: () => ClientChannel, reject: () => void): void {
    const confirming = this.serverKey.unconfirmed !== undefined;
    if (!this.status || (this.lifecycle.state !== 'connected' && !confirming)) {
      reject();
      return;
    }
    this.status.open(accept());
  }

  /** Follows the server's TLS key (tlsRepin.ts); true when the reply came on a connection now being dropped. */
  private followTlsPins(r: StatusReply): boolean {
    const outcome = this.serverKey.weigh(r.tlsPins);
    if (!outcome) return false;
    if (outcome.error) {
      this.deps.log.warn({ presented: this.serverKey.unconfirmed }, outcome.error);
      this.lastError = outcome.error;
    }
    // Dropping is idempotent: a second reply before the close repeats the same decision.
    if (outcome.redialAtOnce) this.redialAtOnce = true;
    this.dropConnection?.(outcome.drop);
    return true;
  }

  private hostKeyMatches(key: Buffer): boolean {
    const ok = this.credentials.hostKeyMatches(key);
    if (!ok) this.lastError = "the server's SSH host key does not match the one pinned at enrollment";
    return ok;
  }

  /**
   * Sends a status report now, made by `collect`, and waits up to `ms` for the server's
   * answer; false when not connected or unanswered. A node about to leave (a switch to
   * on-demand) tells the server its new mode and next check-in this way.
   */
  async reportNow(collect: () => Promise<NodeStatusReport>, ms: number): Promise<boolean> {
    if (!this.status || this.lifecycle.state !== 'connected') return false;
    return this.status.reportNow(collect, ms);
  }

  /** Sends a line on the status channel now (a condition changed); false when not connected. */
  sendStatusLine(line: StatusLine): boolean {
    return this.lifecycle.state === 'connected' && (this.status?.send(line) ?? false);
  }

  /** Starts a key rotation now if one is due (`burrow node rotate-key` backdated the key). */
  checkKeyRotation(): void {
    if (this.lifecycle.state === 'connected') this.status?.checkKeyRotation();
  }

  /**
   * Drops the connection, or the wait for the next attempt, and dials again at once: the
   * way to the server changed (a new proxy) and the link in place does not use it.
   */
  redial(why: string): void {
    const state = this.lifecycle.state;
    if (state === 'idle' || state === 'stopped') return;
    this.deps.log.info({ why }, 'reconnecting now');
    if (state === 'waiting') {
      if (this.timer) this.deps.clock.clearTimeout(this.timer);
      this.connect();
      return;
    }
    this.redialAtOnce = true;
    this.dropConnection?.(why);
  }

  private scheduleReconnect(why: string, outcome: AttemptOutcome): void {
    if (this.lifecycle.state === 'stopped') return;
    const next = this.reconnect.next(outcome, this.deps.clock.now());
    const delayMs = this.redialAtOnce ? 0 : next.delayMs;
    const lastError = next.lastError;
    this.redialAtOnce = false;
    if (lastError) this.lastError = lastError;
    this.nextAttemptAt = this.deps.clock.now() + delayMs;
    this.lifecycle.transition('waiting');
    this.deps.log.info({ why, lastError: this.lastError, retryInMs: delayMs }, 'tunnel down');
    this.timer = this.deps.clock.setTimeout(() => this.connect(), delayMs);
  }

  private report(): void {
    this.deps.onReport?.({ state: this.lifecycle.state, lastConnectedAt: this.lastConnectedAt, lastError: this.lastError, nextAttemptAt: this.nextAttemptAt });
  }

  /**
   * Stops for good: closes the tunnel and cancels any pending reconnect. Resolves once the
   * tunnel's socket is closed. Idempotent: every call gets the same promise.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private shutDown(): Promise<void> {
    if (this.lifecycle.state !== 'stopped') this.lifecycle.transition('stopped');
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.status?.close();
    this.ssh?.end();
    return this.ws ? closeTunnelSocket(this.ws, this.deps.clock) : Promise.resolve();
  }
}

