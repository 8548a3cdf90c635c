import { resolve } from 'node:path';
import { systemClock } from '../shared/clock.js';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { ask, readSecretFile } from './prompt.js';

/** The options of `burrow server init --join`. */
export interface JoinCliOptions {
  join: string;
  listen: string;
  publicUrl?: string;
  sessionPorts: [number, number];
  sessionHost?: string;
  sessionDomain?: string;
  database?: string;
  peerListen?: string;
  peerUrl?: string;
  passphraseFile?: string;
  json?: boolean;
}

/** The init options that make a new deployment's first admin, meaningless when joining one: key -> flag. */
export const FIRST_ADMIN_OPTIONS = { adminEmail: '--admin-email', adminPasswordFile: '--admin-password-file' } as const;

/**
 * `burrow server init --join BUNDLE --database postgres://…`: a new instance of an existing
 * deployment, holding its shared secrets from the bundle.
 */
export async function joinFromCli(o: JoinCliOptions, home: string): Promise<void> {
  if (!o.database) throw new BurrowError('VALIDATION', '--join needs --database postgres://…: the instances of a deployment share one PostgreSQL database.');
  const { joinDeployment } = await import('../server/cluster/joinDeployment.js');
  const r = await joinDeployment({
    home,
    bundle: resolve(o.join),
    database: o.database,
    listen: o.listen,
    sessionPorts: o.sessionPorts,
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    ...(o.sessionHost !== undefined ? { sessionHost: o.sessionHost } : {}),
    ...(o.sessionDomain !== undefined ? { sessionDomain: o.sessionDomain } : {}),
    ...(o.peerListen !== undefined ? { peerListen: o.peerListen } : {}),
    ...(o.peerUrl !== undefined ? { peerUrl: o.peerUrl } : {}),
    passphrase: () => (o.passphraseFile ? readSecretFile(o.passphraseFile, 'passphrase') : ask('Bundle passphrase: ', true)),
    clock: systemClock,
  });
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  if (o.json) {
    printJson({ home: r.home, instanceId: r.instanceId, url: r.url, fingerprint: r.tlsPin });
    return;
  }
  process.stdout.write(
    [
      `burrow server joined the deployment in ${home}`,
      `  instance:     ${r.instanceId}`,
      `  URL:          ${r.url}`,
      `  fingerprint:  ${r.tlsPin}`,
      '',
      `Start it with: burrow server start --home ${home}`,
      '',
    ].join('\n'),
  );
}
