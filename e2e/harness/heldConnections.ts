import { spawn } from 'node:child_process';
import https from 'node:https';
import { pinnedAgent } from '../../src/shared/pinnedHttps.js';
import { burrowBin } from './paths.js';

/** A long-lived connection a test holds open, and how it ended. */
export interface Held {
  /** Everything received so far (terminal output, or raw event-stream text). */
  readonly text: string;
  /** Resolves when the connection ends, with when that was (ms since the epoch). */
  readonly ended: Promise<number>;
  /** Resolves once `re` has been received. */
  saw(re: RegExp, ms?: number): Promise<void>;
  close(): void;
}

function held(onClose: () => void): { h: Held; add(s: string): void; end(): void } {
  let text = '';
  const waiters = new Set<{ re: RegExp; resolve: () => void }>();
  let endedAt: (at: number) => void = () => undefined;
  const ended = new Promise<number>((resolve) => (endedAt = resolve));
  const h: Held = {
    get text() {
      return text;
    },
    ended,
    saw(re, ms = 20_000) {
      if (re.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { re, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out waiting for ${re}; got:\n${text.slice(-1000)}`));
        }, ms);
        waiters.add(w);
      });
    },
    close: onClose,
  };
  return {
    h,
    add(s) {
      text += s;
      for (const w of [...waiters]) if (w.re.test(text)) {
        waiters.delete(w);
        w.resolve();
      }
    },
    end: () => endedAt(Date.now()),
  };
}

/** `burrow ssh NODE -- CMD…` run as the user signed in to `home`, held open; also resolves its exit code. */
export function holdTerminal(home: string, node: string, command: string[]): Held & { code: Promise<number | null>; stderr(): string } {
  const child = spawn(burrowBin, ['ssh', node, '--', ...command], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BURROW_HOME: home } });
  let stderr = '';
  const x = held(() => child.kill('SIGKILL'));
  child.stdout.setEncoding('utf8').on('data', (s: string) => x.add(s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  void code.then(() => x.end());
  return Object.assign(x.h, { code, stderr: () => stderr });
}

/** `GET /v1/events` with a Bearer token over the pinned TLS connection, held open. */
export function holdEvents(server: string, token: string, pin: string): Held {
  const x = held(() => req.destroy());
  const req = https.get(new URL('/v1/events', server), { agent: pinnedAgent(pin), headers: { authorization: `Bearer ${token}` } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (s: string) => x.add(s));
    res.on('close', () => x.end());
  });
  req.on('error', () => x.end());
  return x.h;
}
