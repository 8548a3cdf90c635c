import type { Command } from 'commander';
import { constants } from 'node:os';
import type { RawData } from 'ws';
import { BurrowError, isErrorCode } from '../shared/errors.js';
import { pinnedAgent } from '../shared/pinnedHttps.js';
import type { TerminalEvent } from '../shared/protocol.js';
import { AdminClient, loadCredentials } from './adminClient.js';
import { announceSiteApproval } from './siteApproval.js';
import { exitWithError } from './cliOutput.js';
import { homeOption } from './adminShared.js';
import { resolveHome } from './homeDir.js';

/** Quotes words for sh, so `burrow ssh n -- sh -c 'exit 3'` runs what was typed. */
export function shellJoin(words: readonly string[]): string {
  if (words.length === 1) return words[0] as string;
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `burrow ssh NODE [-- CMD]`: a shell or one command on a node, through the server. */
export function registerSshCommand(program: Command): void {
  program
    .command('ssh <node> [command...]')
    .description("open a shell on a node (or run one command after --) through the server; exits with the remote command's code")
    .option('-t, --tty', 'give the command a terminal (a shell always gets one)')
    .option(...homeOption)
    .action(async (node: string, command: string[], o: { home?: string; tty?: boolean }) => {
      const creds = await loadCredentials(resolveHome(o.home, process.env));
      const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      const cmd = command.length ? shellJoin(command) : undefined;
      const wantPty = cmd === undefined || Boolean(o.tty);
      const url = new URL(`/v1/nodes/${encodeURIComponent(node)}/shell`, creds.server.replace(/^http/, 'ws'));
      if (cmd !== undefined) url.searchParams.set('cmd', cmd);
      if (wantPty) {
        url.searchParams.set('cols', String(process.stdout.columns || 80));
        url.searchParams.set('rows', String(process.stdout.rows || 24));
        url.searchParams.set('term', process.env.TERM || 'xterm-256color');
      }
      const wait = await announceSiteApproval(new AdminClient(creds), node, cmd === undefined ? 'The shell' : 'The command');
      const code = await runTerminal(url, creds.token, creds.pin, interactive && wantPty, wait);
      process.exit(code);
    });
}

async function runTerminal(url: URL, token: string, pin: string | undefined, raw: boolean, approvalWaitMs?: number): Promise<number> {
  // Imported here, not at the top: every `burrow` command loads this file, only `burrow ssh` needs ws.
  const { WebSocket } = await import('ws');
  return new Promise((resolve) => {
    // The server holds the handshake while a person on site decides.
    const handshakeTimeout = 20_000 + (approvalWaitMs ?? 0);
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout, ...(pin ? { agent: pinnedAgent(pin) } : {}) });
    let exit: number | undefined;
    let ready = false;
    // The server said why it ends the connection; that sentence is the whole story.
    let told: BurrowError | undefined;
    const restore = () => {
      if (raw && process.stdin.isTTY) process.stdin.setRawMode(false);
    };
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let e: { code?: unknown; message?: unknown } | undefined;
        try {
          e = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: typeof e }).error;
        } catch {
          e = undefined;
        }
        const code = isErrorCode(e?.code) ? e.code : 'INTERNAL';
        exitWithError(new BurrowError(code, typeof e?.message === 'string' ? e.message : `The server answered HTTP ${res.statusCode ?? '?'}.`));
      });
    });
    ws.on('error', (err: Error) => {
      restore();
      if (err instanceof BurrowError) exitWithError(err);
      exitWithError(new BurrowError('SERVER_UNREACHABLE', `Cannot reach ${url.origin}: ${(err as NodeJS.ErrnoException).code ?? err.message}.`));
    });
    ws.on('open', () => {
      if (raw) process.stdin.setRawMode(true);
      process.stdin.on('data', (d: Buffer) => ws.send(d, { binary: true }));
      process.stdin.on('end', () => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'eof' }));
      });
      process.stdout.on('resize', () => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols: process.stdout.columns, rows: process.stdout.rows }));
      });
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (isBinary) {
        process.stdout.write(buf);
        return;
      }
      const e = JSON.parse(buf.toString('utf8')) as TerminalEvent;
      if (e.type === 'stderr') process.stderr.write(Buffer.from(e.data, 'base64'));
      else if (e.type === 'error' && !ready) {
        // The node's shell could not open: one sentence and the error's exit status.
        restore();
        exitWithError(new BurrowError(isErrorCode(e.code) ? e.code : 'INTERNAL', e.message));
      } else if (e.type === 'error') {
        told = new BurrowError(isErrorCode(e.code) ? e.code : 'INTERNAL', e.message);
        process.stderr.write(`burrow: ${e.message}\n`);
      } else if (e.type === 'ready') ready = true;
      else if (e.type === 'exit') {
        const signal = e.signal ? (constants.signals as Record<string, number>)[`SIG${e.signal}`] : undefined;
        exit = e.code ?? (signal ? 128 + signal : 255);
      }
    });
    ws.on('close', () => {
      restore();
      if (exit === undefined && !told) process.stderr.write('\r\nburrow: the connection to the node was lost.\n');
      process.stdout.write('', () => resolve(exit ?? told?.exitCode ?? 255));
    });
  });
}
