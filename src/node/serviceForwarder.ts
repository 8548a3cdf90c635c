import net from 'node:net';
import type { Client, ClientChannel, TcpConnectionDetails } from 'ssh2';
import { SERVICE_PORT, STATUS_CHANNEL } from '../shared/protocol.js';
import { parseServiceTarget } from '../shared/serviceTarget.js';
import { joinStreams } from '../shared/joinStreams.js';
import type { Logger } from '../shared/log.js';
import { approvalOfOrigin } from '../shared/approvalProtocol.js';
import type { Admission } from './approvals/approvalDesk.js';

/** A service the agent serves in-process; `subject` is what its approval was granted for (a job's id), `what` how it was described on site. */
export type BuiltinService = (channel: ClientChannel, subject?: string, what?: string) => void;

/**
 * Connects channels the server opens to the node's allow-listed local services. The
 * server names a service, never an address: the target always comes from this node's
 * own configuration, so a compromised server cannot reach anything else on the LAN.
 */
export class ServiceForwarder {
  constructor(
    private readonly services: Readonly<Record<string, string>>,
    private readonly log: Logger,
    /** Services the agent serves in-process (shell, jobs), by name; they win over `services`. */
    private readonly builtins: Readonly<Record<string, BuiltinService>> = {},
    /** Told of both ends of every relayed connection, so the agent knows when it has gone quiet. */
    private readonly onRelay: (channel: ClientChannel, local: net.Socket) => void = () => {},
    /** Customer approval: whether a channel to a service may open under the grant it names. */
    private readonly admit: (service: string, grantId: string | undefined) => Admission = () => ({ ok: true }),
  ) {}

  /** The names to announce with tcpip-forward. */
  get names(): string[] {
    return [...new Set([...Object.keys(this.services), ...Object.keys(this.builtins)])];
  }
  /**
   * Announces each service to the server (tcpip-forward), then, with `statusChannel`, the
   * status channel, which lets the server open it towards the node. That goes last, once
   * the server answered every service: the server takes it as "all services are in".
   */
  announce(ssh: Client, statusChannel: boolean): void {
    const announced = this.names.map(
      (name) =>
        new Promise<void>((resolve) => {
          ssh.forwardIn(name, SERVICE_PORT, (err) => {
            if (err) this.log.warn({ service: name, err: err.message }, 'server refused the service');
            resolve();
          });
        }),
    );
    if (statusChannel) void Promise.all(announced).then(() => ssh.forwardIn(STATUS_CHANNEL, SERVICE_PORT, () => undefined)).catch(() => undefined);
  }


  /** Handles one `tcp connection` event of the ssh2 client. */
  handle(info: TcpConnectionDetails, accept: () => ClientChannel, reject: () => void): void {
    const builtin = Object.hasOwn(this.builtins, info.destIP) ? this.builtins[info.destIP] : undefined;
    const target = Object.hasOwn(this.services, info.destIP) ? this.services[info.destIP] : undefined;
    const parsed = target === undefined ? undefined : parseServiceTarget(target);
    if (!builtin && (!target || !parsed)) {
      this.log.warn({ service: info.destIP }, 'refused a channel to a service that is not allow-listed');
      reject();
      return;
    }
    // Checked here, on the node, whatever the server believes: no grant, no channel.
    const admission = this.admit(info.destIP, approvalOfOrigin(info.srcIP));
    if (!admission.ok) {
      this.log.warn({ service: info.destIP, reason: admission.reason }, 'refused a channel without approval on site');
      reject();
      return;
    }
    if (builtin) {
      builtin(accept(), admission.subject, admission.what);
      return;
    }
    if (!target || !parsed) return;
    // Bytes pass through untouched: for an https:// WebUI the server speaks TLS inside the channel.
    const { host, port } = parsed;
    // Half-open, so a service that answers and finishes first still receives the rest.
    const local = net.connect({ host, port, allowHalfOpen: true });
    local.setNoDelay(true);
    local.once('connect', () => {
      const channel = accept();
      this.onRelay(channel, local);
      joinStreams(channel, local);
    });
    local.once('error', (err: NodeJS.ErrnoException) => {
      if (!local.connecting) return;
      this.log.info({ service: info.destIP, target, err: err.code ?? err.message }, 'local service unreachable');
      reject();
    });
  }
}
