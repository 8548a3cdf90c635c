import net from 'node:net';
import type { ClientChannel, TcpConnectionDetails } from 'ssh2';
import { splitHostPort } from '../shared/config.js';
import type { Logger } from '../shared/log.js';

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
    private readonly builtins: Readonly<Record<string, (channel: ClientChannel) => void>> = {},
  ) {}

  /** The names to announce with tcpip-forward. */
  get names(): string[] {
    return [...new Set([...Object.keys(this.services), ...Object.keys(this.builtins)])];
  }

  /** Handles one `tcp connection` event of the ssh2 client. */
  handle(info: TcpConnectionDetails, accept: () => ClientChannel, reject: () => void): void {
    const builtin = Object.hasOwn(this.builtins, info.destIP) ? this.builtins[info.destIP] : undefined;
    if (builtin) {
      builtin(accept());
      return;
    }
    const target = Object.hasOwn(this.services, info.destIP) ? this.services[info.destIP] : undefined;
    if (!target) {
      this.log.warn({ service: info.destIP }, 'refused a channel to a service that is not allow-listed');
      reject();
      return;
    }
    const { host, port } = splitHostPort(target);
    const local = net.connect({ host, port });
    local.setNoDelay(true);
    local.once('connect', () => {
      const channel = accept();
      channel.pipe(local);
      local.pipe(channel);
      const teardown = () => {
        local.destroy();
        channel.destroy();
      };
      channel.once('close', teardown);
      channel.on('error', teardown);
      local.once('close', teardown);
    });
    local.once('error', (err: NodeJS.ErrnoException) => {
      if (!local.connecting) return;
      this.log.info({ service: info.destIP, target, err: err.code ?? err.message }, 'local service unreachable');
      reject();
    });
  }
}
