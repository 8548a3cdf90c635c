import { WebSocket, type RawData } from 'ws';
import { terminalControlSchema, type TerminalEvent } from '../../shared/protocol.js';
import type { CastRecorder } from './castRecorder.js';
import type { NodeShell } from './nodeShell.js';

/** How a terminal session ended. */
export interface TerminalEnd {
  code: number | null;
  signal: string | null;
  /** Who ended it: the remote process, or the WebSocket going away. */
  by: 'exit' | 'client';
}

/** Above this much unsent output the node's stream is paused until the browser catches up. */
const HIGH_WATER = 1024 * 1024;

/**
 * Joins a WebSocket to a node shell: binary frames carry terminal bytes both ways, text
 * frames JSON control messages (resize, signal, eof in; ready, stderr, exit out). Output
 * is also handed to the recorder. Resolves once both sides are done.
 */
export function bridgeTerminal(ws: WebSocket, shell: NodeShell, o: { nodeId: string; recording: string | null; recorder?: CastRecorder | undefined; pty: boolean }): Promise<TerminalEnd> {
  const sendEvent = (e: TerminalEvent) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(e));
  };
  const sendBytes = (d: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(d, { binary: true });
    if (ws.bufferedAmount > HIGH_WATER) {
      shell.stream.pause();
      const wait = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount < HIGH_WATER / 2) {
          clearInterval(wait);
          shell.stream.resume();
        }
      }, 20);
    }
  };
  sendEvent({ type: 'ready', nodeId: o.nodeId, recording: o.recording });
  shell.stream.on('data', (d: Buffer) => {
    o.recorder?.output(d);
    sendBytes(d);
  });
  shell.stream.stderr.on('data', (d: Buffer) => {
    o.recorder?.output(d);
    // With a pty the terminal shows both streams as one; without, keep them apart.
    if (o.pty) sendBytes(d);
    else sendEvent({ type: 'stderr', data: d.toString('base64') });
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) {
      shell.stream.write(buf);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(buf.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const c = terminalControlSchema.safeParse(parsed);
    if (!c.success) {
      sendEvent({ type: 'error', code: 'BAD_REQUEST', message: 'Unknown control message; expected resize, signal or eof.' });
      return;
    }
    if (c.data.type === 'resize') {
      shell.resize(c.data.cols, c.data.rows);
      o.recorder?.resize(c.data.cols, c.data.rows);
    } else if (c.data.type === 'signal') shell.signal(c.data.name);
    else shell.stream.end();
  });
  return new Promise((resolve) => {
    let by: TerminalEnd['by'] = 'exit';
    ws.once('close', () => {
      by = 'client';
      shell.close();
    });
    ws.on('error', () => undefined);
    void shell.exited.then((exit) => {
      sendEvent({ type: 'exit', code: exit.code, signal: exit.signal });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'exit');
      resolve({ ...exit, by });
    });
  });
}
