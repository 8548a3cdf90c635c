// An esbuild plugin that makes xterm.js live under the console's CSP (style-src 'self', no
// inline styles). xterm's DOM renderer writes its theme and sizes into <style> elements and
// true colours into style="" attributes; the browser refuses both. The plugin rewrites the
// three `createElement("style")` calls to src/console/terminal/adoptedStyle.ts (rules go into
// a constructable stylesheet, which CSP allows) and the attribute write to CSSOM.
// It fails the build when xterm's code no longer matches, so an upgrade cannot silently
// bring back CSP violations.
import { readFile } from 'node:fs/promises';

const STYLE_ELEMENT = /([\w$]+(?:\.[\w$]+)*)\.createElement\("style"\)/g;
const STYLE_ATTRIBUTE = '_addStyle(t,e){t.setAttribute("style",`${t.getAttribute("style")||""}${e};`)}';

/** The esbuild plugin; `shim` is the absolute path of adoptedStyle.ts. */
export function xtermCsp(shim) {
  return {
    name: 'xterm-csp',
    setup(build) {
      build.onLoad({ filter: /[\\/]@xterm[\\/]xterm[\\/]lib[\\/]xterm\.mjs$/ }, async (args) => {
        let code = await readFile(args.path, 'utf8');
        const styles = code.match(STYLE_ELEMENT)?.length ?? 0;
        if (styles !== 3 || !code.includes(STYLE_ATTRIBUTE)) {
          throw new Error(`xterm-csp: expected 3 style elements and one style attribute write in ${args.path}, found ${styles}; review the plugin for this xterm version`);
        }
        code = code.replace(STYLE_ELEMENT, '__adoptedStyle($1)').replace(STYLE_ATTRIBUTE, '_addStyle(t,e){t.style.cssText+=e+";"}');
        return { contents: `import { adoptedStyle as __adoptedStyle } from ${JSON.stringify(shim)};\n${code}`, loader: 'js' };
      });
    },
  };
}
