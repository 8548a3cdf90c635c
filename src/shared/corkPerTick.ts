import type { Writable } from 'node:stream';

const corked = new WeakSet<Writable>();

/**
 * Holds `stream`'s writes until the end of this tick, so that what is written in one go
 * (the SSH packets parsed from one tunnel frame, say) leaves in one `writev`: one TLS
 * write and one syscall instead of one per packet. Safe to call on every write.
 */
export function corkPerTick(stream: Writable): void {
  if (corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  process.nextTick(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
