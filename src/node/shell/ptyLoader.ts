import type * as NodePty from 'node-pty';

/** node-pty, or why this node cannot have one. */
export type PtyModule = { ok: true; pty: typeof NodePty } | { ok: false; reason: string };

let loaded: Promise<PtyModule> | undefined;

/**
 * Loads node-pty on first use. It is a native module: on a node where it did not build
 * the shell answers with this reason instead of failing the whole agent.
 */
export function loadPty(): Promise<PtyModule> {
  loaded ??= import('node-pty').then(
    (m) => ({ ok: true as const, pty: ((m as { default?: typeof NodePty }).default ?? m) as typeof NodePty }),
    (err: Error) => ({ ok: false as const, reason: err.message.split('\n')[0] ?? 'node-pty is missing' }),
  );
  return loaded;
}
