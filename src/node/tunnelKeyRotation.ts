import type { Logger } from '../shared/log.js';
import type { StatusLine, StatusReply } from '../shared/protocol.js';

/** How long a refused rotation waits before the agent offers its next key again. */
const RETRY_AFTER_REFUSAL_MS = 10 * 60_000;

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
  /** After a refusal, a due rotation is not asked for again before this time. */
  private quietUntil = 0;

  constructor(
    private readonly rotation: KeyRotator | undefined,
    private readonly log: Logger,
    /** The injected clock's `now`. */
    private readonly now: () => number,
    /** Told why the server refused a rotation, for `burrow node rotate-key` to show. */
    private readonly onRefused?: (reason: string) => void,
  ) {}

  /** Reacts to a status reply: `send` writes on the status channel, `reconnect` drops the tunnel. */
  onReply(reply: StatusReply, send: (line: StatusLine) => void, reconnect: (why: string) => void): void {
    if (reply.keyRegistered) void this.finish(reply.keyRegistered, reconnect);
    else if (reply.keyRefused) this.refused(reply.keyRefused);
    else void this.startIfDue(send, reply.rotateKeyNow === true);
  }

  /** Starts a rotation now if one is due (the key file was backdated by `burrow node rotate-key`). */
  check(send: (line: StatusLine) => void): void {
    // The operator asked on the node: that lifts the quiet time after a refusal.
    this.quietUntil = 0;
    void this.startIfDue(send, false);
  }

  /** The server would not register the next key: the current key stays, the agent tries again later. */
  private refused(reason: string): void {
    this.log.warn({ reason }, 'the server refused the key rotation; the current key stays');
    // A key still due would be offered again at every reply (every poll of an on-demand
    // node); the server allows one rotation per interval, so ask again only now and then.
    this.quietUntil = this.now() + RETRY_AFTER_REFUSAL_MS;
    this.onRefused?.(reason);
    this.rotation?.abandon();
    this.rotating = false;
  }

  /** The tunnel went down: a rotation under way is dropped (the current key stays). */
  abandon(): void {
    this.rotation?.abandon();
    this.rotating = false;
  }

  /** Registers a next key when one is due, or at once when an administrator asked (`asked`). */
  private async startIfDue(send: (line: StatusLine) => void, asked: boolean): Promise<void> {
    const rotation = this.rotation;
    if (!rotation || this.rotating || (!asked && this.now() < this.quietUntil)) return;
    this.rotating = true;
    try {
      if (!asked && !(await rotation.due())) {
        this.rotating = false;
        return;
      }
      const publicKey = await rotation.prepare();
      this.log.info({ asked }, asked ? 'the server asks for a key rotation; registering the next key over the tunnel' : 'key rotation due; registering the next key over the tunnel');
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
