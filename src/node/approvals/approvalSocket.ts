import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonLines, writeJsonLine } from '../../shared/jsonLines.js';
import type { Logger } from '../../shared/log.js';
import type { ApprovalDesk } from './approvalDesk.js';

/** The agent's local control socket for approvals, in the node home. */
export function approvalSocketPath(home: string): string {
  return join(home, 'approvals.sock');
}

/** What the on-site CLI asks the running agent. */
export const approvalCommandSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list') }),
  z.object({ op: z.literal('decide'), id: z.string().max(60), approve: z.boolean(), by: z.string().max(100), reason: z.string().max(500) }),
]);
export type ApprovalCommand = z.infer<typeof approvalCommandSchema>;

const LINE_MAX = 4096;

/**
 * Serves `burrow node approvals|approve|deny` on a unix socket in the node home. The socket
 * is mode 0600 inside the 0700 home, so only the agent's own user (and root) can connect:
 * another local user cannot approve. A socket rather than files: the agent answers at once
 * and keeps waiting requests in memory only, where a stale file cannot grant anything.
 */
export async function serveApprovalSocket(home: string, desk: ApprovalDesk, log: Logger): Promise<() => Promise<void>> {
  const path = approvalSocketPath(home);
  // A socket file left by an agent that did not stop cleanly.
  await rm(path, { force: true });
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    readJsonLines(socket, LINE_MAX, (value) => {
      const cmd = approvalCommandSchema.safeParse(value);
      if (!cmd.success) {
        writeJsonLine(socket, { error: 'not a command this agent knows' });
        socket.end();
        return;
      }
      if (cmd.data.op === 'list') writeJsonLine(socket, { waiting: desk.list() });
      else {
        const r = desk.decide(cmd.data.id, cmd.data.approve, cmd.data.by, cmd.data.reason);
        writeJsonLine(socket, r.ok ? { decision: r.decision } : { error: r.reason });
      }
      socket.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  log.debug({ path }, 'approval socket listening');
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(path, { force: true });
  };
}

/** Sends one command to the running agent and returns its answer. */
export function askAgent(home: string, cmd: ApprovalCommand): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(approvalSocketPath(home));
    let answered = false;
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new Error('The agent is not running ("burrow node run"), so nothing waits for approval.'));
      else reject(err);
    });
    socket.once('connect', () => writeJsonLine(socket, cmd));
    readJsonLines(socket, 1024 * 1024, (value) => {
      answered = true;
      resolve(value);
    });
    socket.once('close', () => {
      if (!answered) reject(new Error('The agent closed the approval socket without answering.'));
    });
  });
}
