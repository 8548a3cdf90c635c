// Bundles the `burrow` command (tsc's output in dist/src) into dist/src/bundle, which is
// what bin/burrow runs. Why: Node keeps a module record and compiled code for every file
// it loads, and the unbundled agent loads several hundred (zod alone ~100): bundled, the
// agent starts ~8 MiB smaller and the server ~13 MiB. Server code stays in chunks that
// load only when a server command runs.
// The output sits at dist/src/<dir>/ like every other module, so paths that modules
// resolve from import.meta.url (package.json, migrations/, dist/console/) hold unchanged.
// Packages with native parts are left to Node's resolver: they find their .node files
// relative to themselves.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

const root = new URL('..', import.meta.url).pathname;
const out = `${root}dist/src/bundle`;
await rm(out, { recursive: true, force: true });
await build({
  entryPoints: [`${root}dist/src/cli/main.js`],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  // speakeasy (and base32.js under it) still call the deprecated Buffer(); Node warns about
  // that only for code outside node_modules, so bundled it would warn on every server init.
  external: ['ssh2', 'sqlite3', 'node-pty', 'cpu-features', 'bufferutil', 'utf-8-validate', 'speakeasy', 'base32.js'],
  // Bundled CommonJS packages call require() for Node's built-ins; ESM has none.
  banner: { js: "import { createRequire as __burrowCreateRequire } from 'node:module'; const require = __burrowCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
