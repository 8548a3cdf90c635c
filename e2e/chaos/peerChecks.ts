import tls from 'node:tls';
import { pinOfRaw } from '../../src/shared/tlsPin.js';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probePort } from '../harness/freePort.js';
import type { ChaosContext } from './chaosContext.js';
import { request, serverPort } from './probes.js';

/** Runs `openssl s_client` against a loopback port with extra args; true when the handshake succeeded. */
function handshake(port: number, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], { timeout: 10_000 }, (_err, stdout) => {
      // A completed handshake names its cipher; a refused one says "(NONE)" or prints nothing.
      const m = /Cipher is (\S+)/.exec(stdout);
      resolve(m !== null && m[1] !== '(NONE)');
    });
    child.stdin?.end('Q\n');
  });
}

/** How a key file's bytes would show up in a log: as its text if it is text, else base64. */
function keyText(b: Buffer): string {
  const text = b.toString('utf8').trim();
  return /^[\x20-\x7e]+$/.test(text) ? text.slice(0, 32) : b.toString('base64').slice(0, 32);
}

const TLS_CASES: [string, string[], boolean][] = [
  ['TLS 1.0', ['-tls1'], false],
  ['TLS 1.1', ['-tls1_1'], false],
  ['TLS 1.2 ECDHE-GCM', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256'], true],
  ['TLS 1.2 AES128-SHA (static RSA, CBC, SHA-1)', ['-tls1_2', '-cipher', 'AES128-SHA'], false],
  ['TLS 1.2 ECDHE-CBC-SHA', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA'], false],
  ['TLS 1.2 DHE', ['-tls1_2', '-cipher', 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256'], false],
  ['TLS 1.3', ['-tls1_3'], true],
];

/**
 * What a curious peer could probe: TLS versions and suites (real openssl), cookie flags,
 * a scan of the whole session port range, and every secret of the run grepped out of the
 * daemons' logs.
 */
export async function peerChecks(ctx: ChaosContext): Promise<void> {
  const { stack, figures, session } = ctx;
  const tlsRow = figures.row('TLS policy (openssl)');
  for (const [name, args, expected] of TLS_CASES) {
    for (const [where, port] of [['console', serverPort(stack)], ['session port', session.port]] as const) {
      tlsRow.cases += 1;
      const ok = await handshake(port, args);
      if (!expected && !ok) tlsRow.limitsHit += 1;
      figures.check('TLS policy (openssl)', ok === expected, `${where}: ${name} ${ok ? 'was accepted' : 'was refused'}`);
    }
  }

  // Cookies: the session port's, and the console's sign-in cookie.
  const cookieRow = figures.row('cookie flags');
  const fresh = await stack.adminJson<{ id: string; url: string; port: number }>(['session', 'open', 'n1']);
  const u = new URL(fresh.url);
  const entry = await request({ port: fresh.port, method: 'GET', path: u.pathname + u.search });
  const signIn = await request({ port: serverPort(stack), method: 'POST', path: '/v1/auth/console/password', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@e2e.test', password: 'e2e-password-long-enough' }) });
  for (const [where, header] of [['session port', entry.headers['set-cookie']], ['console sign-in', signIn.headers['set-cookie']]] as const) {
    const cookies = Array.isArray(header) ? header : header ? [header] : [];
    figures.check('cookie flags', cookies.length > 0, `${where} set no cookie`);
    for (const c of cookies) {
      cookieRow.cases += 1;
      const flags = c.toLowerCase();
      figures.check('cookie flags', flags.includes('; secure') && flags.includes('; httponly') && flags.includes('samesite=strict'), `${where} cookie lacks Secure/HttpOnly/SameSite=Strict: ${c.split(';').slice(1).join(';')}`);
    }
  }
  await stack.api('DELETE', `/v1/sessions/${fresh.id}`);

  // A scan of the whole session range finds exactly the open sessions.
  const scanRow = figures.row('session port scan');
  const config = JSON.parse(await readFile(join(stack.serverHome, 'server.json'), 'utf8')) as { sessionPorts: [number, number] };
  const [from, to] = config.sessionPorts;
  const open: number[] = [];
  for (let p = from; p <= to; p += 100) {
    const ports = Array.from({ length: Math.min(100, to - p + 1) }, (_, i) => p + i);
    const results = await Promise.all(ports.map(async (port) => [port, await probePort(port)] as const));
    open.push(...results.filter(([, r]) => r === 'connected').map(([port]) => port));
  }
  scanRow.cases += to - from + 1;
  const sessions = await stack.api<{ port: number; state: string }[]>('GET', '/v1/sessions');
  const expected = sessions.filter((s) => s.state === 'open').map((s) => s.port).sort();
  // Other processes on this machine (the server's own port, other tests' servers) may
  // listen inside the range; only a port that presents this server's certificate and is
  // not an open session would be a leak.
  const apiPort = Number(new URL(stack.url).port);
  const candidates = open.filter((p) => !expected.includes(p) && p !== apiPort);
  const unexpected: number[] = [];
  for (const port of candidates) if ((await peerPin(port)) === stack.pin) unexpected.push(port);
  figures.check('session port scan', expected.every((p) => open.includes(p)), `open sessions ${expected.join(',')} not all found by the scan (${open.join(',')})`);
  figures.check('session port scan', unexpected.length === 0, `the scan found ports without a session: ${unexpected.join(',')}`);

  // No secret in any log.
  const secretRow = figures.row('secrets in logs');
  const creds = JSON.parse(await readFile(join(stack.adminHome, 'cli.json'), 'utf8')) as { token: string };
  const secrets: [string, string][] = [
    ['admin TOTP secret', stack.totpSecret],
    ['admin password', 'e2e-password-long-enough'],
    ['admin API token', creds.token],
    ['node private key', (await readFile(join(stack.node.home, 'id_ed25519'), 'utf8')).split('\n')[1] ?? 'unreadable'],
    ['secret box key', keyText(await readFile(join(stack.serverHome, 'secret.key')))],
  ];
  const logs = [join(stack.dir, 'server.log'), ...stack.nodes.map((n) => join(stack.dir, `node-${n.name}.log`))];
  for (const log of logs) {
    const text = await readFile(log, 'utf8').catch(() => '');
    for (const [name, secret] of secrets) {
      secretRow.cases += 1;
      figures.check('secrets in logs', secret.length >= 8 && !text.includes(secret), `${name} appears in ${log}`);
    }
    for (const pattern of [/bre_[A-Za-z0-9_-]{20,}/, /brt_[A-Za-z0-9_-]{20,}/, /bra_[A-Za-z0-9_-]{20,}/, /BEGIN [A-Z ]*PRIVATE KEY/]) {
      secretRow.cases += 1;
      figures.check('secrets in logs', !pattern.test(text), `a secret matching ${String(pattern)} appears in ${log}`);
    }
  }
}

/** The pin of the certificate a port presents over TLS, or undefined if it does not speak TLS. */
function peerPin(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 2000 }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert?.raw ? pinOfRaw(cert.raw) : undefined);
    });
    socket.on('error', () => resolve(undefined));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(undefined);
    });
  });
}
