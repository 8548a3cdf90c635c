// Bundles the management console (src/console, Preact + TypeScript) into dist/console:
// hashed assets plus an index.html that loads them with no inline code (see CONSOLE_CSP).
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { xtermCsp } from './xtermCsp.mjs';

const root = new URL('..', import.meta.url).pathname;
const out = `${root}dist/console`;
await rm(out, { recursive: true, force: true });
await mkdir(`${out}/assets`, { recursive: true });

const result = await build({
  entryPoints: [`${root}src/console/main.tsx`],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: `${out}/assets`,
  // xterm.js (two thirds of the code) becomes a chunk the terminal pages import on demand.
  splitting: true,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [xtermCsp(`${root}src/console/terminal/adoptedStyle.ts`)],
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([p, o]) => p.endsWith('.js') && o.entryPoint);
const js = entry && basename(entry[0]);
const css = entry?.[1].cssBundle && basename(entry[1].cssBundle);
if (!js || !css) throw new Error(`console build produced ${outputs.map(([p]) => basename(p)).join(', ')}`);

await writeFile(
  `${out}/index.html`,
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>burrow console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${css}">
<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the burrow console…</p></div>
</body>
</html>
`,
);
console.log(`console built: ${js}, ${css}`);
