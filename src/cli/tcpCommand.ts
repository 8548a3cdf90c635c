import type { Command } from 'commander';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { BurrowError } from '../shared/errors.js';
import { joinStreams } from '../shared/joinStreams.js';
import type { SessionView } from '../shared/protocol.js';
import type { AdminClient } from './adminClient.js';
import { client, homeOption } from './adminShared.js';
import { exitWithError } from './cliOutput.js';
import { dialTcpSession } from './tcpSessionDial.js';
import { announceSiteApproval } from './siteApproval.js';

interface TcpOptions {
  home?: string;
  service: string;
  session?: string;
  listen?: string;
  stdio?: boolean;
}

/** Splits `host:port` (`[::1]:port` for IPv6); port 0 picks a free one. */
function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(spec);
  const port = Number(m?.[3]);
  if (!m || port > 65_535) throw new BurrowError('VALIDATION', `--listen "${spec}" is not HOST:PORT (e.g. 127.0.0.1:2222).`);
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * `burrow tcp NODE --service NAME [--listen HOST:PORT | --stdio]`: the client side of a tcp
 * session. Every connection proves itself to the session port with a one-time ticket over
 * TLS (tcpSessionDial), so nobody else behind the same address gets through. A session this
 * command opened is closed when it ends; one given with --session is left open.
 */
export function registerTcpCommand(program: Command): void {
  program
    .command('tcp <node>')
    .description('reach a TCP service of a node (e.g. its sshd) through an authenticated tcp session: relay a local port (--listen) or stdin/stdout (--stdio, an OpenSSH ProxyCommand)')
    .requiredOption('--service <name>', 'the node service to reach, e.g. ssh')
    .option('--session <id>', 'use this open tcp session (yours) instead of opening one; it stays open afterwards')
    .option('--listen <host:port>', 'local address to listen on; each connection there is relayed to the service (default 127.0.0.1:0, a free port)')
    .option('--stdio', "relay stdin and stdout instead, e.g. ssh -o ProxyCommand='burrow tcp NODE --service ssh --stdio' user@NODE")
    .option(...homeOption)
    .addHelpText('after', "\nExample: ssh -o ProxyCommand='burrow tcp gw1 --service ssh --stdio' root@gw1")
    .action(async (node: string, o: TcpOptions) => {
      if (o.stdio && o.listen !== undefined) throw new BurrowError('VALIDATION', 'Choose --listen or --stdio, not both.');
      const listen = parseListen(o.listen ?? '127.0.0.1:0');
      const api = await client(o);
      const { id, opened } = await sessionFor(api, node, o);
      let ending = false;
      const end = (code: number, err?: unknown) => {
        if (ending) return;
        ending = true;
        const closing = opened ? api.call('DELETE', `/v1/sessions/${encodeURIComponent(id)}`).catch(() => undefined) : Promise.resolve();
        void closing.then(() => (err === undefined ? process.exit(code) : exitWithError(err)));
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => end(0));
      try {
        if (o.stdio) await relayStdio(api, id, o.service, end);
        else await relayListener(api, id, listen, node, o.service, end);
      } catch (err) {
        end(1, err);
      }
    });
}

/** The session to use: the one given (dialTcpSession checks it reaches the service), else a new tcp session. */
async function sessionFor(api: AdminClient, node: string, o: TcpOptions): Promise<{ id: string; opened: boolean }> {
  if (o.session !== undefined) return { id: o.session, opened: false };
  const wait = await announceSiteApproval(api, node, 'The TCP session');
  const s = await api.call<SessionView>('POST', '/v1/sessions', { node, service: o.service, type: 'tcp' }, wait);
  return { id: s.id, opened: true };
}

/** One proved connection relayed over stdin/stdout; ends the process when it closes. */
async function relayStdio(api: AdminClient, id: string, service: string, end: (code: number, err?: unknown) => void): Promise<void> {
  const remote = await dialTcpSession(api, id, service);
  remote.on('error', () => remote.destroy());
  process.stdin.pipe(remote);
  remote.pipe(process.stdout);
  remote.once('close', () => end(0));
  remote.resume();
}

/** A local listener whose every connection gets a proved connection of its own. */
async function relayListener(api: AdminClient, id: string, at: { host: string; port: number }, node: string, service: string, end: (code: number, err?: unknown) => void): Promise<void> {
  // Half-open, so a client that finished sending still gets the service's answer.
  const server = net.createServer({ allowHalfOpen: true }, (local) => {
    local.pause();
    local.on('error', () => local.destroy());
    dialTcpSession(api, id, service).then(
      (remote: Duplex) => joinStreams(local, remote),
      (err: unknown) => {
        local.destroy();
        // Without its session nothing can work any more; anything else may be passing.
        if (err instanceof BurrowError && (err.code === 'SESSION_CLOSED' || err.code === 'SESSION_NOT_FOUND')) end(1, err);
        else process.stderr.write(`burrow: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new BurrowError('VALIDATION', `Cannot listen on ${at.host}:${at.port}: ${err.code ?? err.message}.`)));
    server.listen(at.port, at.host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  const shown = at.host.includes(':') ? `[${at.host}]` : at.host;
  process.stdout.write(`Listening on ${shown}:${port} for ${service} on ${node} (session ${id}); Ctrl-C to stop.\n`);
}
