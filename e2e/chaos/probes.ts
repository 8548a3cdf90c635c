import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { runBurrow } from '../harness/burrowCli.js';
import type { Stack } from '../harness/stack.js';
import { WEBUI_HTML } from '../harness/webUi.js';

/** One HTTPS exchange as raw as Node lets it be; never rejects (network errors come back as status 0). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  error?: string;
}

/** A request to the stack's server (or any loopback TLS port) from a chosen loopback source address. */
export function request(o: { port: number; method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string; timeoutMs?: number }): Promise<Answer> {
  return new Promise((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port: o.port, method: o.method, path: o.path, headers: o.headers ?? {}, rejectUnauthorized: false, agent: false, localAddress: o.localAddress ?? '127.0.0.1', timeout: o.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ status: 0, headers: {}, text: '', error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ status: 0, headers: {}, text: '', error: err.message }));
    req.end(o.body);
  });
}

/** The port the stack's server listens on. */
export function serverPort(stack: Stack): number {
  return Number(new URL(stack.url).port);
}

/** Whether the server process is still running (a crash is a process that exited). */
export function serverRunning(stack: Stack): boolean {
  const c = stack.server?.child;
  return c !== undefined && c.exitCode === null && c.signalCode === null;
}

/** /healthz answers 200. */
export async function healthy(stack: Stack, localAddress = '127.0.0.1'): Promise<boolean> {
  return (await request({ port: serverPort(stack), method: 'GET', path: '/healthz', localAddress, timeoutMs: 3_000 })).status === 200;
}

/** Resident memory of the server process in KiB (Linux /proc). */
export function serverRssKiB(stack: Stack): number {
  const pid = stack.server?.child.pid;
  if (!pid) return 0;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** `PRAGMA integrity_check` of the server's database through the real sqlite3 shell. */
export function integrityCheck(stack: Stack): Promise<string> {
  return new Promise((resolve) => {
    execFile('sqlite3', [join(stack.serverHome, 'burrow.db'), 'PRAGMA integrity_check;'], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve(err ? `error: ${stderr || err.message}` : stdout.trim());
    });
  });
}

/** `burrow admin audit verify`: whether the hash chain holds, and how many entries it has. */
export async function auditVerify(stack: Stack): Promise<{ ok: boolean; entries: number; detail: string }> {
  // BURROW_HOME and no flags: `audit` and `verify` share --home/--json and the parent keeps them.
  const r = await runBurrow(['admin', 'audit', 'verify'], { env: { BURROW_HOME: stack.adminHome } });
  const m = /intact: (\d+) entries/.exec(r.stdout);
  return { ok: r.code === 0 && m !== null, entries: Number(m?.[1] ?? 0), detail: `exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}` };
}

/** Records the store's health after a scenario into `fail` (integrity_check and audit verify). */
export async function checkStore(stack: Stack, fail: (message: string) => void): Promise<void> {
  const integrity = await integrityCheck(stack);
  if (integrity !== 'ok') fail(`PRAGMA integrity_check answered ${integrity}`);
  const audit = await auditVerify(stack);
  if (!audit.ok) fail(`audit verify failed: ${audit.detail}`);
}

/** An open WebUI session the scenarios check keeps working: its origin and admitted cookie. */
export interface LiveSession {
  id: string;
  port: number;
  origin: string;
  cookie: string;
}

/** GET / through a session; true when the node's WebUI page comes back. */
export async function sessionServes(s: LiveSession): Promise<boolean> {
  const r = await request({ port: s.port, method: 'GET', path: '/', headers: { cookie: s.cookie }, timeoutMs: 5_000 });
  return r.status === 200 && r.text === WEBUI_HTML;
}

/** Opens a TLS connection to a loopback port from `localAddress`, resolving once it is up (or failed). */
export function tlsConnect(port: number, localAddress = '127.0.0.1'): Promise<tls.TLSSocket | undefined> {
  return new Promise((resolve) => {
    const raw = net.connect({ host: '127.0.0.1', port, localAddress });
    raw.on('error', () => undefined);
    const s = tls.connect({ socket: raw, rejectUnauthorized: false });
    s.once('secureConnect', () => resolve(s));
    s.once('error', () => resolve(undefined));
    s.once('close', () => resolve(undefined));
  });
}

/** Polls `probe` every 50 ms until it is true or `timeoutMs` passes; returns the ms it took, or null. */
export async function timeUntil(probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await probe().catch(() => false)) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** Waits `ms` (the scenarios pace attacks; no assertion depends on it). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
