import { timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import { parseSshKey } from '../../shared/sshKeys.js';
import type { AuthContext, Connection } from 'ssh2';
import type { Logger } from '../../shared/log.js';
import { localUser, type LocalUser } from './localUser.js';
import { serveSession } from './shellSession.js';

/** What the node's shell needs. */
export interface ShellServerDeps {
  /**
   * The node's own private key now: the host key the burrow server pins as nodes.public_key.
   * Asked for at each channel, because the key rotates under a running agent.
   */
  hostKey: () => string;
  /** The burrow server's SSH host key (OpenSSH public line), the only key allowed in. */
  trustedKey: string;
  /** Run every session as this local user instead of the agent's own. */
  user?: string | undefined;
  /** The directory shells start in and get as HOME, instead of the user's home. */
  home?: string | undefined;
  log: Logger;
}

/**
 * The node's shell: an SSH server that runs inside each `shell` channel the burrow server
 * opens. The tunnel already proved who the server is, but the channel is authenticated
 * again end to end, so only a holder of the server's host key gets a shell, whatever
 * relays the bytes.
 */
export class ShellServer {
  /** The SSH server for the current host key; made again when the key rotates. */
  private ssh?: { hostKey: string; server: ssh2.Server };
  private readonly trusted: ssh2.ParsedKey;
  private readonly user: LocalUser;

  constructor(private readonly deps: ShellServerDeps) {
    const trusted = parseSshKey(deps.trustedKey);
    if (trusted instanceof Error) throw new Error(`the pinned server key is unusable: ${trusted.message}`);
    this.trusted = trusted;
    this.user = { ...localUser(deps.user), ...(deps.home ? { home: deps.home } : {}) };
  }

  /**
   * Serves one channel opened to the `shell` service; `approvedWhat` is how the person on site
   * was told of the shell (approval on), and only that shell or command runs on the channel.
   */
  handle(channel: Duplex, approvedWhat?: string): void {
    channel.on('error', () => undefined);
    // A server of its own per channel under approval, so its one session knows what was approved.
    const server = approvedWhat === undefined ? this.server() : new ssh2.Server({ hostKeys: [this.deps.hostKey()], ident: 'burrow-shell' }, (client) => this.onClient(client, approvedWhat));
    server.injectSocket(channel as never);
  }

  /**
   * The server presenting the node's current key: the burrow server checks the inner host
   * key against the key it holds for the node, which is the new one once a rotation is done.
   */
  private server(): ssh2.Server {
    const hostKey = this.deps.hostKey();
    if (this.ssh?.hostKey !== hostKey) this.ssh = { hostKey, server: new ssh2.Server({ hostKeys: [hostKey], ident: 'burrow-shell' }, (client) => this.onClient(client, undefined)) };
    return this.ssh.server;
  }

  private onClient(client: Connection, approvedWhat: string | undefined): void {
    const log = this.deps.log.child({ part: 'shell' });
    client.on('error', (err) => log.debug({ err: err.message }, 'shell ssh error'));
    client.on('authentication', (ctx) => this.authenticate(ctx));
    client.on('ready', () => {
      // One shell per channel: the channel was admitted under one approval on site, and the
      // burrow server opens one session per channel, so a further session is refused.
      let served = false;
      client.on('session', (accept, reject) => {
        if (served) {
          log.warn('refused a second shell on one channel');
          reject();
          return;
        }
        served = true;
        serveSession(accept(), this.user, log, approvedWhat);
      });
    });
  }

  private authenticate(ctx: AuthContext): void {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
    const want = this.trusted.getPublicSSH();
    const same = ctx.key.algo === this.trusted.type && ctx.key.data.length === want.length && timingSafeEqual(ctx.key.data, want);
    if (!same) return ctx.reject(['publickey']);
    // Without a signature the client only asks whether this key would do.
    if (!ctx.signature) return ctx.accept();
    if (this.trusted.verify(ctx.blob as Buffer, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
    ctx.accept();
  }
}
