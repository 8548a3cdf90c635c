import type { Logger } from '../shared/log.js';
import type { StatusLine, StatusReply } from '../shared/protocol.js';

/** What the agent needs from key rotation (KeyRotation). */
export interface KeyRotator {
  due(): Promise<boolean>;
  prepare(): Promise<string>;
  commit(publicKey: string): Promise<boolean>;
  abandon(): void;
}

/**
 * Rotates the node key over a live tunnel: when a rotation is due, the next public key
 * goes to the server on the status channel; once the server answers that it registered
 * it, the agent commits to it and reconnects, signing in with the new key.
 */
export class TunnelKeyRotation {
  private rotating = false;

  constructor(
    private readonly rotation: KeyRotator | undefined,
    private readonly log: Logger,
  ) {}

  /** Reacts to a status reply: `send` writes on the status channel, `reconnect` drops the tunnel. */
  onReply(reply: StatusReply, send: (line: StatusLine) => void, reconnect: (why: string) => void): void {
    if (reply.keyRegistered) void this.finish(reply.keyRegistered, reconnect);
    else void this.startIfDue(send);
  }

  /** The tunnel went down: a rotation under way is dropped (the current key stays). */
  abandon(): void {
    this.rotation?.abandon();
    this.rotating = false;
  }

  private async startIfDue(send: (line: StatusLine) => void): Promise<void> {
    const rotation = this.rotation;
    if (!rotation || this.rotating) return;
    this.rotating = true;
    try {
      if (!(await rotation.due())) {
        this.rotating = false;
        return;
      }
      const publicKey = await rotation.prepare();
      this.log.info('key rotation due; registering the next key over the tunnel');
      send({ rotateKey: { publicKey } });
    } catch (err) {
      this.rotating = false;
      this.log.warn({ err: (err as Error).message }, 'key rotation failed; the current key stays');
    }
  }

  private async finish(publicKey: string, reconnect: (why: string) => void): Promise<void> {
    try {
      if (!(await this.rotation?.commit(publicKey))) return;
      this.log.info('the server registered the next key; reconnecting with it');
      reconnect('switching to the rotated key');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not switch to the rotated key');
    } finally {
      this.rotating = false;
    }
  }
}
