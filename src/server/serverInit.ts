import { randomBytes } from 'node:crypto';
import { generateEd25519 } from '../shared/sshKeys.js';
import { BurrowError } from '../shared/errors.js';
import { isEmail } from '../shared/email.js';
import { ensureHome, exists, writeFileAtomic } from '../shared/secureFiles.js';
import { SecretBox } from '../shared/secretBox.js';
import { newId } from '../shared/secrets.js';
import { pinOfPem } from '../shared/tlsPin.js';
import type { ServerConfig } from '../shared/config.js';
import { checkPasswordStrength, hashPassword } from './auth/password.js';
import { newTotpSecret, totpUri } from './auth/totp.js';
import { appendAudit } from './store/auditStore.js';
import { loadAuditKeys } from './audit/auditKeys.js';
import { Database } from './store/database.js';
import { redactDatabaseUrl } from './store/databaseUrl.js';
import { getGroup, insertGroup, ROOT_GROUP_ID } from './store/groupStore.js';
import { loadMigrations, migrate } from './store/migrate.js';
import { grantRole, insertUser } from './store/userStore.js';
import { MIGRATIONS_DIR, serverPaths } from './serverHome.js';
import { selfSignedCertificate } from './tlsCertificate.js';
import { instanceConfig, type InstanceOptions } from './instanceConfig.js';
import { sessionDomainWarnings } from './sessions/sessionView.js';

/** Choices for a new server. */
export interface ServerInitOptions extends InstanceOptions {
  home: string;
  adminEmail: string;
  /** The first admin's password; a strong random one is made when absent. */
  adminPassword?: string;
}

/** What init tells the operator once (secrets included). */
export interface ServerInitResult {
  url: string;
  adminEmail: string;
  adminPassword?: string;
  totpSecret: string;
  totpUri: string;
  tlsPin: string;
  config: ServerConfig;
  /** What the operator should know about this server's set-up (isolation it lacks). */
  warnings: string[];
}

/**
 * Creates a server home: config, store with the root group and first admin, secret key,
 * TLS certificate and SSH host key. Refuses to touch a home that already has a server.
 */
export async function initServer(o: ServerInitOptions): Promise<ServerInitResult> {
  const paths = serverPaths(o.home);
  if (await exists(paths.config)) throw new BurrowError('ALREADY_INITIALIZED', `${o.home} already holds a burrow server; use another --home.`);
  if (o.adminPassword !== undefined) checkPasswordStrength(o.adminPassword);
  if (!isEmail(o.adminEmail)) throw new BurrowError('VALIDATION', `--admin-email: "${o.adminEmail}" is not an email address (name@host).`);
  const config = instanceConfig(o);
  const { publicUrl, database, sessionDomain } = config;
  await ensureHome(o.home);

  const { hostname } = new URL(publicUrl);
  const tls = await selfSignedCertificate([hostname, ...(sessionDomain ? [`*.${sessionDomain}`] : [])]);
  const hostKey = generateEd25519();
  const box = await SecretBox.fromKeyFile(paths.secretKey);
  const password = o.adminPassword ?? randomBytes(18).toString('base64url');
  const totpSecret = newTotpSecret();

  const auditKeys = await loadAuditKeys(o.home);
  const db = await Database.open(database ?? paths.database);
  db.sealAuditWith(auditKeys.macKey);
  try {
    await migrate(db, await loadMigrations(MIGRATIONS_DIR));
    if (database && (await getGroup(db, ROOT_GROUP_ID))) {
      throw new BurrowError('ALREADY_INITIALIZED', `The database ${redactDatabaseUrl(database)} already holds a burrow server; give "server init" an empty database, or add this instance to that deployment with --join.`);
    }
    const now = Date.now();
    const userId = newId('usr');
    const passwordHash = await hashPassword(password);
    await db.transaction(async (tx) => {
      await insertGroup(tx, { id: ROOT_GROUP_ID, name: 'root', parentId: null }, now);
      await insertUser(tx, { id: userId, email: o.adminEmail, passwordHash, totpSecretEnc: box.seal(totpSecret, userId), totpConfirmed: false, createdAt: now });
      await grantRole(tx, userId, ROOT_GROUP_ID, 'admin');
      await appendAudit(tx, { actor: 'system', action: 'server.init', target: o.adminEmail, result: 'ok', detail: { publicUrl } }, now);
    });
  } finally {
    await db.close();
  }
  await writeFileAtomic(paths.tlsCert, tls.cert);
  await writeFileAtomic(paths.tlsKey, tls.key, 0o600);
  await writeFileAtomic(paths.hostKey, hostKey.private, 0o600);
  await writeFileAtomic(paths.hostKeyPub, `${hostKey.public}\n`);
  // Written last: its presence is what marks the home as initialized.
  await writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return {
    url: publicUrl,
    adminEmail: o.adminEmail,
    ...(o.adminPassword === undefined ? { adminPassword: password } : {}),
    totpSecret,
    totpUri: totpUri(totpSecret, o.adminEmail),
    tlsPin: pinOfPem(tls.cert),
    config,
    warnings: sessionDomainWarnings({ publicHost: hostname, ...(sessionDomain ? { sessionDomain } : {}) }),
  };
}
