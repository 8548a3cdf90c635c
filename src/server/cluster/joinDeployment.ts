import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { ServerConfig } from '../../shared/config.js';
import { BurrowError } from '../../shared/errors.js';
import { exists, writeFileAtomic } from '../../shared/secureFiles.js';
import { SecretBox } from '../../shared/secretBox.js';
import { pinOfPem } from '../../shared/tlsPin.js';
import { loadAuditKeys } from '../audit/auditKeys.js';
import { backupIsEncrypted, openBackup } from '../backup/backupReader.js';
import { instanceConfig, type InstanceOptions } from '../instanceConfig.js';
import { MIGRATIONS_DIR, serverPaths } from '../serverHome.js';
import { sessionDomainWarnings } from '../sessions/sessionView.js';
import { recordAudit } from '../store/auditStore.js';
import { Database } from '../store/database.js';
import { redactDatabaseUrl } from '../store/databaseUrl.js';
import { loadMigrations } from '../store/migrate.js';
import { checkBundleMatches, checkDeploymentInitialized } from './deploymentMatch.js';
import { readOrCreateInstanceId } from './instanceId.js';
import { sharedSecretsOf } from './sharedSecrets.js';

/** What `burrow server init --join` is asked to do. */
export interface JoinOptions extends InstanceOptions {
  home: string;
  /** The secrets bundle: what `burrow server backup --secrets-only` wrote on an instance of the deployment. */
  bundle: string;
  /** The deployment's PostgreSQL database: instances share one. */
  database: string;
  /** Asked only when the bundle is encrypted. */
  passphrase: () => Promise<string>;
  clock: Clock;
}

/** What joining made. */
export interface JoinResult {
  home: string;
  instanceId: string;
  url: string;
  /** The pin of the deployment's TLS certificate (the same on every instance). */
  tlsPin: string;
  config: ServerConfig;
  /** What the operator should know about this instance's set-up. */
  warnings: string[];
}

/**
 * Makes a new server home that joins an existing deployment: the deployment's shared secrets
 * from a secrets bundle, a new instance id of its own, and its own server.json. Everything is
 * checked before the home is touched (the options, the bundle's passphrase and integrity, its
 * key pairs (the peer link's included), that the database was initialised, and that the bundle's keys are the ones its
 * deployment uses); the home is assembled in a private directory beside it, the join is
 * audited in the deployment's chain, and only then does the home appear.
 */
export async function joinDeployment(o: JoinOptions): Promise<JoinResult> {
  const paths = serverPaths(o.home);
  if (await exists(paths.config)) throw new BurrowError('ALREADY_INITIALIZED', `${o.home} already holds a burrow server; use another --home.`);
  const config = instanceConfig(o);
  const database = config.database as string;
  if ((await exists(o.home)) && (await readdir(o.home)).length) throw new BurrowError('CONFLICT', `${o.home} is not empty; join into a new or empty directory.`);
  const file = await readFile(o.bundle).catch((err: NodeJS.ErrnoException) => {
    throw new BurrowError('VALIDATION', `Cannot read the bundle ${o.bundle}: ${err.code ?? err.message}.`);
  });
  const contents = await openBackup(file, o.bundle, backupIsEncrypted(file, o.bundle) ? await o.passphrase() : null);
  const secrets = sharedSecretsOf(contents.files, o.bundle);
  const names = { bundle: o.bundle, database: redactDatabaseUrl(database) };

  const staged = await stage(o.home);
  try {
    for (const f of secrets) {
      await mkdir(dirname(join(staged, f.path)), { recursive: true, mode: 0o700 });
      await writeFile(join(staged, f.path), f.data, { mode: 0o600 });
    }
    const box = await SecretBox.fromKeyFile(serverPaths(staged).secretKey);
    const { macKey } = await loadAuditKeys(staged);
    const instanceId = await readOrCreateInstanceId(staged);
    await writeFileAtomic(serverPaths(staged).config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
    const db = await Database.open(database);
    try {
      await checkDeploymentInitialized(db, (await loadMigrations(MIGRATIONS_DIR)).length, names);
      await checkBundleMatches(db, { box, macKey }, names);
      db.sealAuditWith(macKey);
      const detail = { instanceId, listen: config.listen, publicUrl: config.publicUrl, bundleCreatedAt: contents.manifest.createdAt };
      await recordAudit(db, { actor: 'system', action: 'server.join', target: instanceId, objectType: 'server', result: 'ok', detail }, o.clock.now());
    } finally {
      await db.close();
    }
    await moveInto(staged, o.home);
    const cert = secrets.find((f) => f.path === serverPaths('').tlsCert)?.data.toString('utf8') ?? '';
    const publicHost = new URL(config.publicUrl).hostname;
    return {
      home: o.home,
      instanceId,
      url: config.publicUrl,
      tlsPin: pinOfPem(cert),
      config,
      warnings: sessionDomainWarnings({ publicHost, ...(config.sessionDomain ? { sessionDomain: config.sessionDomain } : {}) }),
    };
  } catch (err) {
    await rm(staged, { recursive: true, force: true });
    throw err;
  }
}

/** A private directory beside the home, where the home is assembled. */
async function stage(home: string): Promise<string> {
  const parent = dirname(home);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(parent, `.${basename(home)}.join-`));
  await chmod(dir, 0o700);
  return dir;
}

/** The staged directory becomes the home, or its entries move into the empty home. */
async function moveInto(staged: string, home: string): Promise<void> {
  if (!(await exists(home))) {
    await rename(staged, home);
    return;
  }
  for (const name of await readdir(staged)) await rename(join(staged, name), join(home, name));
  await rmdir(staged);
  await chmod(home, 0o700);
}
