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
  entryNames: '[name]-[hash]',
  metafile: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [xtermCsp(`${root}src/console/terminal/adoptedStyle.ts`)],
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`console build produced ${outputs.join(', ')}`);

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
