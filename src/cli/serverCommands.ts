import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { BurrowError } from '../shared/errors.js';
import { pinOfPem } from '../shared/tlsPin.js';
import { balancerBlocksSchema, databaseUrlSchema, optionValue, portRangeSchema } from '../shared/config.js';
import { systemClock } from '../shared/clock.js';
import { registerBackupCommands } from './backupCommands.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';
import { readSecretFile } from './prompt.js';
import { onShutdown } from './shutdown.js';
import { registerServerCertCommands } from './serverCertCommands.js';
import { FIRST_ADMIN_OPTIONS, joinFromCli } from './serverJoinCommand.js';
import { notifySystemdReady } from './systemdReady.js';

interface InitOpts {
  home?: string;
  listen: string;
  publicUrl?: string;
  adminEmail: string;
  adminPasswordFile?: string;
  sessionPorts: string;
  sessionHost?: string;
  sessionDomain?: string;
  database?: string;
  join?: string;
  passphraseFile?: string;
  peerListen?: string;
  peerUrl?: string;
  json?: boolean;
}

/**
 * `burrow server …`: create and run a server. Server code is imported only when a server
 * command runs, so the agent (`burrow node run`) does not carry it in memory.
 */
export function registerServerCommands(program: Command): void {
  const server = program.command('server').description('create and run a burrow server');

  server
    .command('init')
    .description('create the store, key file, TLS certificate, SSH host key and first admin; or, with --join, a new instance of an existing deployment')
    .option('--home <dir>', 'server state directory (env BURROW_HOME)')
    .option('--listen <host:port>', 'address for the console, API and tunnel', '0.0.0.0:8443')
    .option('--public-url <url>', 'URL nodes and browsers use to reach the server')
    .option('--admin-email <email>', 'email of the first administrator', 'admin@localhost')
    .option('--admin-password-file <file>', 'file holding the first admin password (otherwise one is generated)')
    .option('--session-ports <from-to>', 'port range for WebUI sessions', '40000-65000')
    .option('--session-domain <domain>', 'serve each WebUI session at a host of its own under this domain (needs a wildcard DNS name; the certificate covers *.<domain>)')
    .option('--session-host <address>', 'address session ports bind to (default: the --listen host)')
    .option('--database <url>', 'keep the store in this PostgreSQL database (postgres://…) instead of a SQLite file in the home')
    .option('--join <bundle>', "add this instance to the deployment in --database: take its shared secrets from BUNDLE (what 'server backup --secrets-only' wrote on one of its instances); no admin is made")
    .option('--passphrase-file <file>', 'with --join: file holding the bundle passphrase (otherwise it is asked for)')
    .option('--peer-listen <host:port>', "address of the peer link, on which the deployment's other instances reach the nodes this one holds (mutual TLS)")
    .option('--peer-url <url>', 'URL the other instances dial for the peer link (default https://<peer-listen>; needed when it listens on 0.0.0.0)')
    .option('--json', 'print the result as JSON')
    .action(async (o: InitOpts, cmd: Command) => {
      const sessionPorts = optionValue('--session-ports', portRangeSchema, o.sessionPorts);
      const home = resolveHome(o.home, process.env);
      process.umask(0o077);
      if (o.join !== undefined) {
        const given = Object.entries(FIRST_ADMIN_OPTIONS).find(([key]) => cmd.getOptionValueSource(key) === 'cli');
        if (given) throw new BurrowError('VALIDATION', `--join adds an instance to a deployment that has its admins already; leave out ${given[1]}.`);
        await joinFromCli({ ...o, join: o.join, sessionPorts }, home);
        return;
      }
      if (o.passphraseFile !== undefined) throw new BurrowError('VALIDATION', '--passphrase-file is for the bundle of --join; give --join too, or leave it out.');
      const { initServer } = await import('../server/serverInit.js');
      const r = await initServer({
        home,
        listen: o.listen,
        ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
        sessionPorts,
        ...(o.sessionHost !== undefined ? { sessionHost: o.sessionHost } : {}),
        ...(o.sessionDomain !== undefined ? { sessionDomain: o.sessionDomain } : {}),
        ...(o.peerListen !== undefined ? { peerListen: o.peerListen } : {}),
        ...(o.peerUrl !== undefined ? { peerUrl: o.peerUrl } : {}),
        adminEmail: o.adminEmail,
        ...(o.database ? { database: o.database } : {}),
        ...(o.peerListen !== undefined ? { peerListen: o.peerListen } : {}),
        ...(o.peerUrl !== undefined ? { peerUrl: o.peerUrl } : {}),
        ...(o.adminPasswordFile ? { adminPassword: await readSecretFile(o.adminPasswordFile, 'password') } : {}),
      });
      // On stderr, so that --json output stays one document.
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      if (o.json) {
        printJson({ url: r.url, adminEmail: r.adminEmail, adminPassword: r.adminPassword, totpSecret: r.totpSecret, totpUri: r.totpUri, fingerprint: r.tlsPin, home });
        return;
      }
      const { default: QRCode } = await import('qrcode');
      const qr = await QRCode.toString(r.totpUri, { type: 'terminal', small: true });
      process.stdout.write(
        [
          `burrow server initialized in ${home}`,
          `  URL:          ${r.url}`,
          `  fingerprint:  ${r.tlsPin}`,
          `  admin:        ${r.adminEmail}`,
          ...(r.adminPassword ? [`  password:     ${r.adminPassword}   (shown once; store it now)`] : []),
          `  TOTP secret:  ${r.totpSecret}   (shown once; add it to your authenticator app)`,
          '',
          qr,
          `Start it with: burrow server start --home ${home}`,
          '',
        ].join('\n'),
      );
    });

  server
    .command('fingerprint')
    .description("print the pin of the server's TLS certificate (sha256/…), for admin login --fingerprint")
    .option('--home <dir>', 'server state directory (env BURROW_HOME)')
    .action(async (o: { home?: string }) => {
      const home = resolveHome(o.home, process.env);
      const { serverPaths } = await import('../server/serverHome.js');
      const cert = await readFile(serverPaths(home).tlsCert, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new BurrowError('NOT_INITIALIZED', `${home} holds no burrow server (no TLS certificate); run "burrow server init" first.`);
        throw err;
      });
      process.stdout.write(`${pinOfPem(cert)}\n`);
    });

  registerServerCertCommands(server);

  server
    .command('start')
    .description('serve the console, API, tunnel endpoint and session ports; SIGHUP reloads the TLS certificate')
    .option('--home <dir>', 'server state directory (env BURROW_HOME)')
    .option('--proxy-protocol-from <blocks>', 'comma-separated balancer address blocks whose PROXY protocol headers are believed (overrides proxyProtocolFrom)')
    .option('--database <url>', "use this PostgreSQL database (postgres://…) for the store, instead of server.json's")
    .action(async (o: { home?: string; proxyProtocolFrom?: string; database?: string }) => {
      const home = resolveHome(o.home, process.env);
      const proxyProtocolFrom = o.proxyProtocolFrom === undefined ? undefined : optionValue('--proxy-protocol-from', balancerBlocksSchema, o.proxyProtocolFrom.split(','));
      // Whatever the server creates in its home (database, WAL, recordings) is its own only.
      process.umask(0o077);
      const [{ loadServerConfig, startServer }, { createLogger }] = await Promise.all([import('../server/burrowServer.js'), import('../shared/log.js')]);
      const loaded = await loadServerConfig(home, process.env);
      const config = {
        ...loaded,
        ...(proxyProtocolFrom ? { proxyProtocolFrom } : {}),
        ...(o.database === undefined ? {} : { database: optionValue('--database', databaseUrlSchema, o.database) }),
      };
      const log = createLogger({ level: config.logLevel, name: 'burrow-server' });
      const running = await startServer({ home, config, log, clock: systemClock });
      onShutdown(log, () => running.close());
      // SIGHUP reloads the certificate (the convention of nginx, HAProxy, certbot deploy hooks).
      process.on('SIGHUP', () => void running.reloadCertificate());
      // The port listens now: a Type=notify unit may count the server as started.
      await notifySystemdReady(process.env, log);
    });

  registerBackupCommands(server);
}
