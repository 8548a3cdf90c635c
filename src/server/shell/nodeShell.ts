import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import { parseSshKey } from '../../shared/sshKeys.js';
import type { ClientChannel } from 'ssh2';
import { BurrowError } from '../../shared/errors.js';
import { SHELL_SERVICE } from '../../shared/protocol.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';
import type { NodeHandle } from '../cluster/nodeDirectory.js';

/** What to run on the node: a login shell or one command, with or without a pty. */
export interface ShellRequest {
  command?: string | undefined;
  pty?: { cols: number; rows: number; term: string } | undefined;
}

/** A shell or command running on a node. */
export interface NodeShell {
  stream: ClientChannel;
  /** Resolves once with how the remote process ended. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  resize(cols: number, rows: number): void;
  signal(name: string): void;
  close(): void;
}

/**
 * Opens the node's `shell` service and runs an SSH client inside that channel: it signs in
 * with the server's host key (the key the node pinned at enrollment) and accepts only the
 * node's own enrolled key as the inner host key.
 */
export async function openNodeShell(conn: NodeHandle, o: { hostKey: string; nodePublicKey: string; origin: ForwardOrigin; request: ShellRequest }): Promise<NodeShell> {
  const channel = await conn.openService(SHELL_SERVICE, o.origin);
  const parsed = parseSshKey(o.nodePublicKey);
  const nodeKey = parsed instanceof Error ? undefined : parsed;
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', (err) => reject(new BurrowError('SHELL_UNAVAILABLE', `The shell of node ${conn.nodeId} did not accept the server: ${err.message}.`)));
    client.connect({
      sock: channel as never,
      username: 'burrow',
      privateKey: o.hostKey,
      readyTimeout: 15_000,
      hostVerifier: (key: Buffer) => {
        const want = nodeKey?.getPublicSSH();
        return want !== undefined && want.length === key.length && timingSafeEqual(want, key);
      },
    });
  });
  client.on('error', () => undefined);
  const { command, pty } = o.request;
  const stream = await new Promise<ClientChannel>((resolve, reject) => {
    const done = (err: Error | undefined, s: ClientChannel) => (err ? reject(new BurrowError('SHELL_UNAVAILABLE', `Node ${conn.nodeId} refused the shell: ${err.message}.`)) : resolve(s));
    const window = pty ? { term: pty.term, cols: pty.cols, rows: pty.rows } : false;
    if (command !== undefined) client.exec(command, { pty: window }, done);
    else client.shell(window, done);
  }).catch((err: unknown) => {
    client.end();
    throw err;
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    let result: { code: number | null; signal: string | null } = { code: null, signal: null };
    stream.on('exit', (code: number | null, signal?: string) => {
      result = { code: signal ? null : code, signal: signal ?? null };
    });
    stream.once('close', () => {
      client.end();
      resolve(result);
    });
  });
  return {
    stream,
    exited,
    resize: (cols, rows) => stream.setWindow(rows, cols, 0, 0),
    signal: (name) => stream.signal(name),
    close: () => {
      stream.close();
      client.end();
    },
  };
}
