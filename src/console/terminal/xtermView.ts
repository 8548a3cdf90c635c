import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITerminalOptions } from '@xterm/xterm';

/** An xterm.js terminal mounted in an element and kept at the element's size. */
export interface XtermView {
  term: Terminal;
  /** Re-measures the container now (the terminal also follows it by itself). */
  fit(): void;
  dispose(): void;
}

const THEME = { background: '#0f1720', foreground: '#e6edf3', cursor: '#8ab4f8', selectionBackground: '#35507a' };

/**
 * Mounts a terminal in `el`, sized to it and resized with it. Copy and paste follow the
 * usual terminal keys: Ctrl+Shift+C (Cmd+C) copies the selection, Ctrl+Shift+V (Cmd+V)
 * is left to the browser, whose paste event xterm turns into input; plain Ctrl+C stays an
 * interrupt for the remote program. With `follow: false` the terminal keeps the size it is
 * given (a replay shows the recorded size).
 */
export function mountXterm(el: HTMLElement, options: ITerminalOptions = {}, o: { follow: boolean } = { follow: true }): XtermView {
  const term = new Terminal({
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: THEME,
    ...options,
  });
  const fitter = new FitAddon();
  term.loadAddon(fitter);
  term.attachCustomKeyEventHandler((e) => {
    if (e.type !== 'keydown') return true;
    const withMod = (e.ctrlKey && e.shiftKey) || e.metaKey;
    const key = e.key.toLowerCase();
    if (withMod && key === 'c') {
      e.preventDefault();
      if (term.hasSelection()) void navigator.clipboard?.writeText(term.getSelection()).catch(() => undefined);
      return false;
    }
    return !(withMod && key === 'v');
  });
  term.open(el);
  const fit = () => {
    // A hidden or zero-sized container has nothing to fit to.
    if (o.follow && el.clientWidth > 0 && el.clientHeight > 0) fitter.fit();
  };
  fit();
  const observer = new ResizeObserver(() => fit());
  observer.observe(el);
  return {
    term,
    fit,
    dispose() {
      observer.disconnect();
      term.dispose();
    },
  };
}
