import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { WebSocket, createWebSocketStream } from 'ws';
import type { Stack } from '../harness/stack.js';

/** A WebSocket to the server's /v1/tunnel from a chosen loopback address; resolves once open (or undefined). */
export function openTunnelSocket(url: string, localAddress = '127.0.0.1', headers: Record<string, string> = {}): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(new URL('/v1/tunnel', url.replace(/^http/, 'ws')).toString(), { rejectUnauthorized: false, localAddress, perMessageDeflate: false, headers, handshakeTimeout: 5_000 });
    ws.on('error', () => resolve(undefined));
    ws.once('open', () => resolve(ws));
    ws.once('close', () => resolve(undefined));
  });
}

/** Resolves with the close code once `ws` closes, or 'open' if it is still open after `ms`. */
export function closeCodeWithin(ws: WebSocket, ms: number): Promise<number | 'open'> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) {
      resolve(1006);
      return;
    }
    const timer = setTimeout(() => resolve('open'), ms);
    ws.once('close', (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * An SSH client over the tunnel WebSocket, as a node (or someone holding a node's key) would
 * connect: `username` and `privateKey` are what it claims. Resolves once authenticated, or
 * with the reason it was refused.
 */
export async function sshOverTunnel(url: string, username: string, privateKey: string): Promise<{ client?: ssh2.Client; refused?: string }> {
  const ws = await openTunnelSocket(url);
  if (!ws) return { refused: 'websocket not opened' };
  const stream = createWebSocketStream(ws);
  stream.on('error', () => undefined);
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve({ client }));
    client.on('error', (err) => resolve({ refused: err.message }));
    client.on('close', () => resolve({ refused: 'closed' }));
    client.connect({ sock: stream as never, username, privateKey, readyTimeout: 8_000, hostVerifier: () => true });
  });
}

/** The private key (OpenSSH text) of an enrolled node of the stack. */
export function nodePrivateKey(home: string): Promise<string> {
  return readFile(join(home, 'id_ed25519'), 'utf8');
}

/** The stack's node by name, failing if it is not enrolled. */
export function nodeNamed(stack: Stack, name: string): { id: string; home: string } {
  const n = stack.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}
