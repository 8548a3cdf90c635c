import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root. This file runs as dist/e2e/harness/paths.js, three levels below
 * it; checked at load so a moved build fails with a clear message, not ENOENT later.
 */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The `burrow` launcher a user runs from a checkout (after `make build`). */
export const burrowBin = join(repoRoot, 'bin', 'burrow');

if (!existsSync(burrowBin) || !existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) {
  throw new Error(`e2e: expected bin/burrow and a built dist/ under ${repoRoot}; run "make build" first`);
}
