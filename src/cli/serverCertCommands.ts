import type { Command } from 'commander';
import { systemClock } from '../shared/clock.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';

/** `burrow server cert …`: bring your own certificate. */
export function registerServerCertCommands(server: Command): void {
  const cert = server.command('cert').description("manage the server's TLS certificate");
  cert
    .command('set')
    .description('install your own certificate chain and key; a running server reloads it without dropping tunnels or sessions')
    .requiredOption('--cert <file>', "PEM chain: the server's certificate first, then its intermediates")
    .requiredOption('--key <file>', 'PEM private key of that certificate (unencrypted)')
    .option('--home <dir>', 'server state directory (env BURROW_HOME)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { cert: string; key: string; home?: string; json?: boolean }) => {
      const home = resolveHome(o.home, process.env);
      const { installCertificate } = await import('../server/certificateInstall.js');
      const r = await installCertificate({ home, certFile: o.cert, keyFile: o.key, clock: systemClock });
      if (o.json) {
        printJson({ fingerprint: r.fingerprint, notAfter: r.notAfter, reloaded: r.reloadedBy !== undefined });
        return;
      }
      process.stdout.write(
        [
          `certificate installed in ${home}`,
          `  fingerprint:  ${r.fingerprint}`,
          `  expires:      ${r.notAfter}`,
          r.reloadedBy !== undefined ? `The running server (pid ${r.reloadedBy}) reloads it now; open tunnels and sessions stay.` : 'It is served from the next "burrow server start".',
          'Enrolled nodes follow the new key by themselves; admins log in again with --fingerprint ' + r.fingerprint + '.',
          '',
        ].join('\n'),
      );
    });
}
