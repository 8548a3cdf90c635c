import { currentCsrfToken } from '../api.js';

/** How a terminal link ended. */
export type LinkEnd =
  /** The remote shell exited; the server said so before closing. */
  | { kind: 'exit'; code: number | null; signal: string | null }
  /**
   * No shell: the server refused the upgrade or could not be reached (no message: the
   * browser hides why), or it said why the node's shell did not open (`message`).
   */
  | { kind: 'refused'; message?: string }
  /** The link dropped after it opened, with no exit message: the shell's fate is unknown. */
  | { kind: 'lost'; message?: string }
  /** The console closed it (the user disconnected or left the page). */
  | { kind: 'closed' };

/** What a TerminalLink reports. */
export interface LinkHandlers {
  onReady(info: { nodeId: string; recording: string | null }): void;
  onData(bytes: Uint8Array): void;
  /** A control message the server did not like, or a failure it explains before closing. */
  onError(code: string, message: string): void;
  onEnd(end: LinkEnd): void;
}

type ServerEvent =
  | { type: 'ready'; nodeId: string; recording: string | null }
  | { type: 'exit'; code: number | null; signal: string | null }
  | { type: 'error'; code: string; message: string }
  | { type: 'stderr'; data: string };

/** The terminal endpoint's address for a node on this console's own origin. */
export function shellUrl(nodeId: string, size: { cols: number; rows: number }): string {
  const q = new URLSearchParams({ cols: String(size.cols), rows: String(size.rows), term: 'xterm-256color' });
  const csrf = currentCsrfToken();
  if (csrf) q.set('csrf', csrf);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/v1/nodes/${encodeURIComponent(nodeId)}/shell?${q.toString()}`;
}

/**
 * One terminal session on a node over `GET /v1/nodes/:id/shell` as a WebSocket: binary
 * frames carry terminal bytes both ways, text frames carry JSON control messages. Reports
 * exactly one end.
 */
export class TerminalLink {
  private readonly ws: WebSocket;
  private readonly encoder = new TextEncoder();
  private opened = false;
  private ready = false;
  private ended = false;
  private exit: LinkEnd | undefined;
  private lastError: string | undefined;

  constructor(
    nodeId: string,
    size: { cols: number; rows: number },
    private readonly on: LinkHandlers,
  ) {
    this.ws = new WebSocket(shellUrl(nodeId, size));
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => {
      this.opened = true;
    };
    this.ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== 'string') this.on.onData(new Uint8Array(e.data));
      else this.control(e.data);
    };
    this.ws.onclose = () => {
      if (!this.opened) this.end({ kind: 'refused' });
      else if (!this.ready && this.lastError) this.end({ kind: 'refused', message: this.lastError });
      else this.end(this.exit ?? { kind: 'lost', ...(this.lastError ? { message: this.lastError } : {}) });
    };
  }

  private control(text: string): void {
    let e: ServerEvent;
    try {
      e = JSON.parse(text) as ServerEvent;
    } catch {
      return;
    }
    if (e.type === 'ready') {
      this.ready = true;
      this.on.onReady({ nodeId: e.nodeId, recording: e.recording });
    }
    else if (e.type === 'exit') this.exit = { kind: 'exit', code: e.code, signal: e.signal };
    else if (e.type === 'error') {
      this.lastError = e.message;
      // Before `ready` the error is why no shell opened: it ends the link as a refusal.
      if (this.ready) this.on.onError(e.code, e.message);
    } else if (e.type === 'stderr') this.on.onData(Uint8Array.from(atob(e.data), (c) => c.charCodeAt(0)));
  }

  private end(end: LinkEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.on.onEnd(end);
  }

  private sendFrame(data: string | Uint8Array<ArrayBuffer>): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  /** Sends what the user typed or pasted. */
  input(text: string): void {
    this.sendFrame(this.encoder.encode(text));
  }

  /** Sends raw bytes given as a binary string (xterm's onBinary, e.g. mouse reports). */
  inputBinary(bytes: string): void {
    this.sendFrame(Uint8Array.from(bytes, (c) => c.charCodeAt(0) & 0xff));
  }

  /** Tells the remote terminal its new size. */
  resize(cols: number, rows: number): void {
    this.sendFrame(JSON.stringify({ type: 'resize', cols, rows }));
  }

  /** Interrupts the remote foreground program, as Ctrl+C would. */
  interrupt(): void {
    this.sendFrame(JSON.stringify({ type: 'signal', name: 'INT' }));
  }

  /** Hangs up; the server ends the shell. Reported as a `closed` end unless one came first. */
  close(): void {
    this.end({ kind: 'closed' });
    this.ws.close(1000);
  }
}
