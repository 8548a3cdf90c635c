import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Loads burrow's small native addon (native/memory, built by `make build`) and returns its
 * heap trim: a full V8 collection (where `--expose-gc` allows it), then glibc's malloc_trim,
 * which hands the C heap's free pages back to the kernel.
 * Throws with the reason when the addon is not there (not built, or another platform).
 */
export function loadHeapTrim(): () => boolean {
  // The path is computed, not a literal, so the CLI bundler leaves the .node file alone;
  // every module sits at dist/src/<dir>/, three levels below the checkout.
  const path = fileURLToPath(new URL('../../../native/memory/build/Release/burrow_memory.node', import.meta.url));
  const addon = createRequire(import.meta.url)(path) as { trimHeap?: unknown };
  const trimHeap = addon.trimHeap;
  if (typeof trimHeap !== 'function') throw new Error(`${path} has no trimHeap`);
  // Dead Buffers hand their memory to the C heap only when V8 collects them, which after
  // a transfer may be much later: collect first where bin/burrow exposed gc().
  const collect = (globalThis as { gc?: () => void }).gc;
  return () => {
    collect?.();
    return trimHeap() === true;
  };
}
