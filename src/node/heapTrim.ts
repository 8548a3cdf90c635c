import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Burrow's small native addon (native/memory, built by `make build`). */
interface MemoryAddon {
  trimHeap: () => boolean;
  limitArenas: (count: number) => boolean;
}

/** Loads the addon; throws with the reason when it is not there (not built, or another platform). */
function loadMemoryAddon(): MemoryAddon {
  // The path is computed, not a literal, so the CLI bundler leaves the .node file alone;
  // every module sits at dist/src/<dir>/, three levels below the checkout.
  const path = fileURLToPath(new URL('../../../native/memory/build/Release/burrow_memory.node', import.meta.url));
  const addon = createRequire(import.meta.url)(path) as Partial<Record<keyof MemoryAddon, unknown>>;
  const { trimHeap, limitArenas } = addon;
  if (typeof trimHeap !== 'function' || typeof limitArenas !== 'function') throw new Error(`${path} lacks trimHeap or limitArenas`);
  return { trimHeap: trimHeap as MemoryAddon['trimHeap'], limitArenas: limitArenas as MemoryAddon['limitArenas'] };
}

/**
 * Returns the addon's heap trim: a full V8 collection (where `--expose-gc` allows it), then
 * glibc's malloc_trim, which hands the C heap's free pages back to the kernel.
 * Throws with the reason when the addon is not there.
 */
export function loadHeapTrim(): () => boolean {
  const { trimHeap } = loadMemoryAddon();
  // Dead Buffers hand their memory to the C heap only when V8 collects them, which after
  // a transfer may be much later: collect first where bin/burrow exposed gc().
  const collect = (globalThis as { gc?: () => void }).gc;
  return () => {
    collect?.();
    return trimHeap() === true;
  };
}

/**
 * Lets glibc keep at most `count` malloc arenas from now on (threads that allocated before
 * keep theirs). Answers whether the C library took the setting; throws without the addon.
 */
export function limitMallocArenas(count: number): boolean {
  return loadMemoryAddon().limitArenas(count) === true;
}
