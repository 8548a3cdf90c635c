import { shellApprovalWhat } from '../../shared/approvalProtocol.js';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { IPty } from 'node-pty';
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import type { Logger } from '../../shared/log.js';
import type { LocalUser } from './localUser.js';
import { loadPty } from './ptyLoader.js';

/** Environment variables a client may set; everything else it asks for is refused. */
const ENV_ALLOWED = /^(LANG|LC_[A-Z]+|TZ|COLORTERM)$/;
const SIGNALS = new Set(['INT', 'TERM', 'HUP', 'KILL', 'QUIT', 'USR1', 'USR2']);

interface Running {
  resize(cols: number, rows: number): void;
  kill(signal: string): void;
}

const signalName = (n: number | string | null | undefined): string | undefined => {
  if (typeof n === 'string') return n.replace(/^SIG/, '');
  if (!n) return undefined;
  const hit = Object.entries(constants.signals).find(([, v]) => v === n);
  return hit?.[0].replace(/^SIG/, '');
};

/**
 * One SSH session of the node's shell: an optional pty (size, resize, terminal type), an
 * allow-listed environment, then a login shell or one command, run as `user`. The exit
 * status or signal goes back to the client.
 */
export function serveSession(session: Session, user: LocalUser, log: Logger, approvedWhat?: string): void {
  // Under approval on site, only the shell or command the person was shown runs.
  const approved = (command: string | undefined) => {
    const ok = approvedWhat === undefined || shellApprovalWhat(command) === approvedWhat;
    if (!ok) log.warn({ approved: approvedWhat, asked: shellApprovalWhat(command) }, 'refused a shell other than the one approved on site');
    return ok;
  };
  let pty: PseudoTtyInfo | undefined;
  let running: Running | undefined;
  const env: Record<string, string> = {};
  session.on('pty', (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (pty) pty = { ...pty, cols: info.cols, rows: info.rows };
    running?.resize(info.cols, info.rows);
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    if (ENV_ALLOWED.test(info.key) && info.val.length < 256) {
      env[info.key] = info.val;
      accept?.();
    } else reject?.();
  });
  session.on('signal', (accept, reject, info) => {
    if (!running || !SIGNALS.has(info.name)) return reject?.();
    running.kill(info.name);
    accept?.();
  });
  const start = (channel: ServerChannel, command: string | undefined) => {
    const baseEnv = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: user.home,
      USER: user.name,
      LOGNAME: user.name,
      SHELL: user.shell,
      ...env,
      ...(pty ? { TERM: pty.term || 'xterm-256color' } : {}),
    };
    const args = command === undefined ? ['-l'] : ['-c', command];
    const ids = user.uid === process.getuid?.() ? {} : { uid: user.uid, gid: user.gid };
    log.info({ user: user.name, pty: Boolean(pty), exec: command !== undefined }, 'shell session start');
    const finish = (code: number | null, signal: string | undefined) => {
      if (signal) channel.exit(signal, false, '');
      else channel.exit(code ?? 0);
      channel.end();
    };
    const fail = (why: string) => {
      channel.stderr.write(`burrow: ${why}\r\n`);
      finish(127, undefined);
    };
    if (pty) {
      const size = pty;
      void loadPty().then((m) => {
        if (!m.ok) return fail(`this node cannot open a terminal (node-pty: ${m.reason})`);
        let proc: IPty;
        try {
          proc = m.pty.spawn(user.shell, args, { name: baseEnv.TERM ?? 'xterm', cols: size.cols || 80, rows: size.rows || 24, cwd: user.home, env: baseEnv, ...ids });
        } catch (err) {
          return fail(`this node cannot open a terminal: ${(err as Error).message}`);
        }
        proc.onData((d) => {
          if (!channel.write(d)) {
            proc.pause();
            channel.once('drain', () => proc.resume());
          }
        });
        proc.onExit((e) => finish(e.exitCode, e.signal ? signalName(e.signal) : undefined));
        channel.on('data', (d: Buffer) => proc.write(d));
        channel.on('close', () => proc.kill());
        running = {
          resize: (c, r) => proc.resize(c, r),
          kill: (s) => proc.kill(`SIG${s}`),
        };
      });
      return;
    }
    const child = spawn(user.shell, args, { cwd: user.home, env: baseEnv, stdio: 'pipe', ...ids });
    child.on('error', (err) => fail(`cannot start ${user.shell}: ${err.message}`));
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    channel.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => finish(code, signalName(signal)));
    channel.on('close', () => child.kill('SIGHUP'));
    running = { resize: () => undefined, kill: (s) => child.kill(`SIG${s}` as NodeJS.Signals) };
  };
  session.on('shell', (accept, reject) => (approved(undefined) ? start(accept(), undefined) : reject()));
  session.on('exec', (accept, reject, info) => (approved(info.command) ? start(accept(), info.command) : reject()));
  // No subsystems (sftp), no X11 or agent forwarding: only a terminal and commands.
  session.on('sftp', (_accept, reject) => reject());
  session.on('subsystem', (_accept, reject) => reject());
}
