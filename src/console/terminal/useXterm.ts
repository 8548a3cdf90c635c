import { useEffect, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { ITerminalOptions } from '@xterm/xterm';
import type { XtermView } from './xtermView.js';

/** A terminal view once xterm.js has loaded and mounted, or why it could not load. */
export type XtermState = { view?: XtermView; failed?: string };

/**
 * Mounts xterm.js in `box` when the page opens, and disposes it when the page goes.
 * xterm.js is loaded here, on first use, rather than with the console: it is about
 * two thirds of the console's code and only the terminal and replay pages need it.
 * `view` stays undefined until it is mounted.
 */
export function useXterm(box: RefObject<HTMLElement | null>, options: ITerminalOptions = {}, o: { follow: boolean } = { follow: true }): XtermState {
  const [state, setState] = useState<XtermState>({});
  useEffect(() => {
    let gone = false;
    let view: XtermView | undefined;
    import('./xtermView.js').then(
      ({ mountXterm }) => {
        if (gone || !box.current) return;
        view = mountXterm(box.current, options, o);
        setState({ view });
      },
      () => {
        if (!gone) setState({ failed: 'The terminal could not load. Reload the page to try again.' });
      },
    );
    return () => {
      gone = true;
      view?.dispose();
    };
    // Mounted once per page: options are read when it opens.
  }, []);
  return state;
}
