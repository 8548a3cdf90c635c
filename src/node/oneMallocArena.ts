import { limitMallocArenas } from './heapTrim.js';

/**
 * Preloaded by bin/burrow for `burrow node run` (node --import), before anything else of
 * the agent runs: every thread then allocates from glibc's main arena. Why: by default
 * each thread that allocates gets an arena of its own, and after a transfer V8's worker
 * threads each kept ~1 MiB resident in theirs that the idle trim cannot hand back
 * (measured: idle agent after two 1 GiB downloads 71 MiB, 67 MiB with one arena, at the
 * same MB/s and CPU per GiB). It must run first: a thread keeps the arena it started with.
 * Without the addon the agent runs as before (it says so when its idle trim cannot load).
 */
try {
  limitMallocArenas(1);
} catch {
  // The agent logs the missing addon once it starts.
}
