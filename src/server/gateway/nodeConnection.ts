import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Connection } from 'ssh2';
import { SERVICE_PORT, STATUS_CHANNEL, serviceNameSchema, type ServiceChange } from '../../shared/protocol.js';
import { BurrowError } from '../../shared/errors.js';
import { approvalOrigin, type ApprovalPush } from '../../shared/approvalProtocol.js';
import type { Logger } from '../../shared/log.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';

/** The peer of a forwarded connection, as the node's service will see it in the channel. */
export interface ForwardOrigin {
  ip: string;
  port: number;
  /** The approval on site the channel opens under (the agent admits it only under that grant). */
  approval?: string;
}

/** Per-node bounds, so one node (or a stolen node key) cannot grow the server without end. */
export interface NodeConnectionLimits {
  /** Services the node may announce. */
  maxServices: number;
  /** Channels the server holds open to the node at once. */
  maxChannels: number;
}

/** Used where no limits are given (tests that build a connection by hand). */
export const DEFAULT_NODE_LIMITS: NodeConnectionLimits = { maxServices: 32, maxChannels: 512 };

/**
 * One node's authenticated SSH connection. It learns the node's services from its
 * `tcpip-forward` requests and opens `forwarded-tcpip` channels to them on demand.
 * Emits `services`, `status-ready` (the agent announced its status channel), `rotate-key`
 * (an administrator asks for a key rotation) and `close` once.
 */
export class NodeConnection extends EventEmitter {
  readonly services = new Set<string>();
  readonly connectedAt: number;
  private closed = false;
  private channels = 0;

  constructor(
    readonly nodeId: string,
    readonly remoteIp: string,
    private readonly ssh: Connection,
    private readonly log: Logger,
    now: number,
    /** How each service's WebUI expects to be spoken to, as the agent declared it. */
    readonly targets: ReadonlyMap<string, ServiceTarget> = new Map(),
    private readonly limits: NodeConnectionLimits = DEFAULT_NODE_LIMITS,
  ) {
    super();
    this.connectedAt = now;
    ssh.on('request', (accept, reject, name, info) => {
      const bind = (info as { bindAddr?: string } | undefined)?.bindAddr ?? '';
      const valid = serviceNameSchema.safeParse(bind).success && (info as { bindPort?: number }).bindPort === SERVICE_PORT;
      if (name === 'tcpip-forward' && bind === STATUS_CHANNEL && (info as { bindPort?: number }).bindPort === SERVICE_PORT) {
        // The agent is ready for its status channel; the server opens it.
        accept?.();
        this.emit('status-ready');
      } else if (name === 'tcpip-forward' && valid && !this.services.has(bind) && this.services.size >= limits.maxServices) {
        log.warn({ service: bind, max: limits.maxServices }, 'refused service: the node announced too many');
        reject?.();
      } else if (name === 'tcpip-forward' && valid) {
        this.services.add(bind);
        log.debug({ service: bind }, 'service announced');
        accept?.();
        this.emit('services', [...this.services]);
      } else if (name === 'cancel-tcpip-forward' && valid) {
        this.services.delete(bind);
        accept?.();
        this.emit('services', [...this.services]);
      } else {
        log.warn({ request: name, bind }, 'refused global request');
        reject?.();
      }
    });
    // A node has no business opening channels towards the server: no shells, no
    // direct-tcpip. Refusing them here is what keeps a compromised node from using
    // the server as a pivot.
    ssh.on('session', (_accept, reject) => reject());
    ssh.on('tcpip', (_accept, reject) => reject());
    ssh.on('error', (err) => log.debug({ err: err.message }, 'ssh connection error'));
    ssh.on('close', () => this.markClosed());
  }

  /** Opens a channel to the node's service `name`; the agent connects it to its target. */
  openService(name: string, origin: ForwardOrigin): Promise<Duplex> {
    if (this.closed) return Promise.reject(new BurrowError('NODE_OFFLINE', `Node ${this.nodeId} is offline.`));
    if (!this.services.has(name)) {
      return Promise.reject(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${this.nodeId} does not offer the service "${name}".`));
    }
    if (this.channels >= this.limits.maxChannels) {
      return Promise.reject(new BurrowError('CHANNEL_LIMIT', `Node ${this.nodeId} has ${this.channels} channels open, the most one node may have (maxChannelsPerNode).`));
    }
    // Counted from the request on: a flood of opens must not slip past while they are pending.
    this.channels += 1;
    return new Promise((resolve, reject) => {
      this.ssh.forwardOut(name, SERVICE_PORT, origin.approval ? approvalOrigin(origin.approval, origin.ip) : origin.ip, origin.port, (err, channel) => {
        if (err) {
          this.channels -= 1;
          reject(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${this.nodeId} refused the connection to "${name}": ${err.message}.`));
          return;
        }
        channel.once('close', () => {
          this.channels -= 1;
        });
        resolve(channel);
      });
    });
  }

  /** Asks the agent, over its status channel, to rotate its key now; false when that channel is not served. */
  requestKeyRotation(): boolean {
    return this.emit('rotate-key');
  }

  /** Pushes a service change to the agent over its status channel; false when that channel is not served. */
  pushServiceChange(change: ServiceChange & { id: string }): boolean {
    return this.emit('service-change', change);
  }

  /** Sends an approval request or withdrawal over the status channel; false when that channel is not served. */
  pushApproval(push: ApprovalPush): boolean {
    return this.emit('approval-push', push);
  }

  /** Opens the channel on which the agent reports its status and asks about work. */
  openStatusChannel(): Promise<Duplex> {
    if (this.closed) return Promise.reject(new BurrowError('NODE_OFFLINE', `Node ${this.nodeId} is offline.`));
    return new Promise((resolve, reject) => {
      this.ssh.forwardOut(STATUS_CHANNEL, SERVICE_PORT, '127.0.0.1', 0, (err, channel) => (err ? reject(err) : resolve(channel)));
    });
  }

  /** Channels open to the node now. */
  get openChannels(): number {
    return this.channels;
  }

  /** Whether the connection is still up. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Whether the server ended the connection (close()), rather than the link or the node. */
  closedByServer = false;

  /** Ends the SSH connection; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closedByServer = true;
    this.ssh.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}
