import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useLoad } from '../parts/useLoad.js';
import { explainRefusal } from '../terminal/refusal.js';
import { TerminalLink, type LinkEnd } from '../terminal/terminalLink.js';
import { useXterm } from '../terminal/useXterm.js';
import type { Node, NodeStatusView } from '../types.js';

type Status = { phase: 'connecting' } | { phase: 'open'; recording: string | null } | { phase: 'ended'; end: LinkEnd } | { phase: 'refused'; message: string };

function endText(end: LinkEnd): string {
  if (end.kind === 'exit') return `The shell ended${end.signal ? ` (signal ${end.signal})` : end.code !== null ? ` (exit code ${end.code})` : ''}.`;
  if (end.kind === 'lost') return `Connection lost — the terminal is no longer linked to the node${end.message ? ` (${end.message})` : ''}.`;
  if (end.kind === 'closed') return 'You disconnected; the shell on the node has ended.';
  return 'The terminal could not open.';
}

/** A shell on a node in the browser: xterm.js over the terminal WebSocket, with reconnect. */
export function TerminalPage(p: { id: string }) {
  const node = useLoad(() => api<Node>('GET', `/v1/nodes/${encodeURIComponent(p.id)}`), [p.id]);
  // On a node that requires approval on site, the server holds the connection until a person there decides.
  const approval = useLoad(() => api<NodeStatusView>('GET', `/v1/nodes/${encodeURIComponent(p.id)}/status?limit=1`), [p.id]).data?.latest?.approval;
  const box = useRef<HTMLDivElement>(null);
  const { view: v, failed } = useXterm(box);
  const link = useRef<TerminalLink>(undefined);
  const [attempt, setAttempt] = useState(0);
  const [status, setStatus] = useState<Status>({ phase: 'connecting' });

  useEffect(() => {
    if (!v) return;
    setStatus({ phase: 'connecting' });
    if (attempt > 0) v.term.write('\r\n\x1b[2m— new session —\x1b[0m\r\n');
    const l = new TerminalLink(p.id, { cols: v.term.cols, rows: v.term.rows }, {
      onReady: (info) => {
        setStatus({ phase: 'open', recording: info.recording });
        v.term.focus();
      },
      onData: (bytes) => v.term.write(bytes),
      onError: (_code, message) => v.term.write(`\r\n\x1b[31m${message}\x1b[0m\r\n`),
      onEnd: (end) => {
        // The server's own words when it gave them; otherwise ask about the node.
        if (end.kind === 'refused' && end.message) setStatus({ phase: 'refused', message: `The terminal could not open: ${end.message}` });
        else if (end.kind === 'refused') void explainRefusal(p.id).then((message) => setStatus({ phase: 'refused', message }));
        else setStatus({ phase: 'ended', end });
      },
    });
    link.current = l;
    const subs = [v.term.onData((d) => l.input(d)), v.term.onBinary((d) => l.inputBinary(d)), v.term.onResize(({ cols, rows }) => l.resize(cols, rows))];
    return () => {
      for (const s of subs) s.dispose();
      l.close();
    };
  }, [p.id, attempt, v]);

  const name = node.data?.name ?? p.id;
  const again = () => setAttempt((a) => a + 1);
  return (
    <section class="terminal-page">
      <p>
        <a href={`#/nodes/${encodeURIComponent(p.id)}`}>← {name}</a>
      </p>
      <h1 tabIndex={-1}>Terminal on {name}</h1>
      <div class="row term-bar">
        {failed && (
          <span role="alert" class="error-text">
            {failed}
          </span>
        )}
        {!failed && status.phase === 'connecting' && (
          <span role="status">{approval?.enabled ? `Waiting for approval on site: a person at ${name} must approve this shell…` : `Connecting to the shell of ${name}…`}</span>
        )}
        {status.phase === 'open' && (
          <>
            <span role="status" class="term-live">
              Connected{status.recording ? ' · this session is recorded' : ''}
            </span>
            <button type="button" onClick={() => link.current?.interrupt()}>
              Interrupt
            </button>
            <button type="button" onClick={() => link.current?.close()}>
              Disconnect
            </button>
            <span class="muted">Copy: Ctrl+Shift+C · Paste: Ctrl+Shift+V</span>
          </>
        )}
        {status.phase === 'ended' && (
          <>
            <span role={status.end.kind === 'lost' ? 'alert' : 'status'} class={status.end.kind === 'lost' ? 'error-text' : ''}>
              {endText(status.end)}
            </span>
            <button type="button" class="primary" onClick={again}>
              {status.end.kind === 'lost' ? 'Reconnect' : 'Start a new shell'}
            </button>
          </>
        )}
        {status.phase === 'refused' && (
          <>
            <span role="alert" class="error-text">
              {status.message}
            </span>
            <button type="button" onClick={again}>
              Try again
            </button>
          </>
        )}
      </div>
      <div class="term-frame">
        <div class="term-box" ref={box} data-testid="terminal" />
      </div>
    </section>
  );
}
