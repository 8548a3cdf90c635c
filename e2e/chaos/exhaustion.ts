import net from 'node:net';
import tls from 'node:tls';
import type { ChaosContext } from './chaosContext.js';
import { healthy, pause, request, serverPort, serverRunning, sessionServes, timeUntil } from './probes.js';
import { CHAOS_SERVER_CONFIG } from './sizes.js';

/** A slowloris connection: TLS, then a request head that never ends. Resolves with the socket (destroyed if refused). */
function slowClient(port: number, localAddress: string, handshake: boolean): Promise<{ socket: net.Socket; cutByServer: () => boolean }> {
  return new Promise((resolve) => {
    const raw = net.connect({ host: '127.0.0.1', port, localAddress });
    let ended = false;
    raw.on('error', () => undefined);
    raw.once('close', () => (ended = true));
    const result = { socket: raw, cutByServer: () => ended };
    if (!handshake) {
      // Half-open TLS: a ClientHello's first bytes, then silence.
      raw.once('connect', () => raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
      setTimeout(() => resolve(result), 50);
      return;
    }
    const s = tls.connect({ socket: raw, rejectUnauthorized: false });
    s.on('error', () => undefined);
    s.once('secureConnect', () => {
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write(`X-${Math.random().toString(36).slice(2, 6)}: y\r\n`)), 400);
      s.once('close', () => clearInterval(drip));
      resolve(result);
    });
    s.once('close', () => resolve(result));
  });
}

/** Holds `count` slow connections from `from` against `port` for `holdMs`; returns how many the cap refused and the server cut. */
async function slowloris(port: number, from: string, count: number, holdMs: number, handshake: boolean): Promise<{ refused: number; cut: number; clients: net.Socket[] }> {
  const clients = await Promise.all(Array.from({ length: count }, () => slowClient(port, from, handshake)));
  const refusedEarly = clients.filter((c) => c.cutByServer()).length;
  await pause(holdMs);
  const cut = clients.filter((c) => c.cutByServer()).length - refusedEarly;
  return { refused: refusedEarly, cut, clients: clients.map((c) => c.socket) };
}

/**
 * Slowloris and half-open TLS handshakes on the console and on a session port, then the
 * sign-in and enrollment rate limits: the attacker hits the per-address cap and the
 * headers deadline, the admin and the live session keep working, and the attacker's own
 * address is served again soon after it stops.
 */
export async function exhaustion(ctx: ChaosContext): Promise<void> {
  const { stack, size, figures, session } = ctx;
  const port = serverPort(stack);
  const attacks: [string, number, string, boolean][] = [
    ['slowloris console', port, '127.0.3.1', true],
    ['slowloris session port', session.port, '127.0.3.2', true],
    ['half-open TLS console', port, '127.0.3.3', false],
  ];
  for (const [target, p, from, handshake] of attacks) {
    const row = figures.row(target);
    const r = await slowloris(p, from, size.slowConnections, 3_500, handshake);
    // A half-open peer is not cut before the 10 s handshake deadline, so whatever closed
    // during the hold was the cap's doing (its close may reach us late under load).
    if (!handshake) {
      r.refused += r.cut;
      r.cut = 0;
    }
    row.cases += size.slowConnections;
    row.limitsHit += r.refused + (handshake ? r.cut : 0);
    const cap = p === port ? CHAOS_SERVER_CONFIG.maxConnectionsPerIp : CHAOS_SERVER_CONFIG.maxSessionConnectionsPerIp;
    figures.check(target, r.refused >= size.slowConnections - cap, `only ${r.refused} of ${size.slowConnections} connections were refused at a cap of ${cap}`);
    if (handshake) figures.check(target, r.cut > 0, 'no slow request was cut at the headers deadline');
    figures.check(target, await healthy(stack), 'the API did not answer the admin during the attack');
    figures.check(target, await sessionServes(session), 'the live session did not serve during the attack');
    for (const c of r.clients) c.destroy();
    const probe = p === port ? () => healthy(stack, from) : async () => (await request({ port: p, method: 'GET', path: '/', localAddress: from, timeoutMs: 2_000 })).status === 403;
    row.recoveryMs = await timeUntil(probe);
    figures.check(target, row.recoveryMs !== null, `the attacker's address was not served again after the attack stopped`);
    if (!serverRunning(stack)) {
      row.crashes += 1;
      figures.fail(target, 'the server died');
      return;
    }
  }
  // Sign-in guessing and enrollment guessing from one address each.
  const limits: [string, string, unknown, string][] = [
    ['login rate limit', '/v1/auth/login', { email: 'admin@e2e.test', password: 'wrong-password-123', totp: '000000' }, '127.0.3.4'],
    ['enroll rate limit', '/v1/enroll', { token: 'bre_guess.sha256-x', name: 'x', publicKey: 'ssh-ed25519 AAAA' }, '127.0.3.5'],
  ];
  for (const [target, path, body, from] of limits) {
    const row = figures.row(target);
    let limited = 0;
    for (let i = 0; i < 20; i++) {
      const r = await request({ port, method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), localAddress: from });
      row.cases += 1;
      if (r.status >= 500) row.fiveXx += 1;
      if (r.status === 429) limited += 1;
    }
    row.limitsHit += limited;
    figures.check(target, limited > 0, `20 failed attempts from one address were never rate limited`);
  }
  figures.check('enroll rate limit', await healthy(stack), 'the API stopped answering after the rate-limit runs');
}
