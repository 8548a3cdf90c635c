import { randomBytes } from 'node:crypto';
import { generateEd25519 } from '../shared/sshKeys.js';
import { BurrowError } from '../shared/errors.js';
import { isEmail } from '../shared/email.js';
import { ensureHome, exists, writeFileAtomic } from '../shared/secureFiles.js';
import { SecretBox } from '../shared/secretBox.js';
import { newId } from '../shared/secrets.js';
import { pinOfPem } from '../shared/tlsPin.js';
import { advertisedPeerUrl, databaseUrlSchema, optionValue, peerUrlSchema, serverConfigSchema, sessionDomainSchema, type ServerConfig } from '../shared/config.js';
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
import { readOrCreatePeerCredentials } from './cluster/peerCredentials.js';
import { sessionDomainWarnings } from './sessions/sessionView.js';

/** Choices for a new server. */
export interface ServerInitOptions {
  home: string;
  listen: string;
  publicUrl?: string;
  sessionPorts: [number, number];
  /** Sessions get a host each under this DNS name (and the certificate covers `*.<it>`). */
  sessionDomain?: string;
  adminEmail: string;
  /** The first admin's password; a strong random one is made when absent. */
  adminPassword?: string;
  /** A PostgreSQL database URL for the store; absent, the store is a SQLite file in the home. */
  database?: string;
  /** Where the peer link from the deployment's other instances listens (HOST:PORT). */
  peerListen?: string;
  /** The URL the other instances dial for it; by default https://<peerListen>. */
  peerUrl?: string;
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

/** The peer link settings of `server init`, checked as the options they came from. */
function peerOptions(o: ServerInitOptions): { peerListen?: string; peerUrl?: string } {
  const peerListen = o.peerListen === undefined ? undefined : optionValue('--peer-listen', serverConfigSchema.shape.peerListen, o.peerListen);
  const peerUrl = o.peerUrl === undefined ? undefined : optionValue('--peer-url', peerUrlSchema, o.peerUrl);
  if (peerUrl !== undefined && peerListen === undefined) throw new BurrowError('VALIDATION', '--peer-url: it names where --peer-listen is reached; give --peer-listen too.');
  try {
    advertisedPeerUrl({ peerListen, peerUrl });
  } catch {
    throw new BurrowError('VALIDATION', `--peer-listen: ${peerListen ?? ''} listens on every address, so the other instances cannot be told where to dial; give --peer-url https://HOST:PORT too.`);
  }
  return { ...(peerListen ? { peerListen } : {}), ...(peerUrl ? { peerUrl } : {}) };
}

/**
 * Creates a server home: config, store with the root group and first admin, secret key,
 * TLS certificate, SSH host key and peer key pair. Refuses to touch a home that already has a server.
 */
export async function initServer(o: ServerInitOptions): Promise<ServerInitResult> {
  const paths = serverPaths(o.home);
  if (await exists(paths.config)) throw new BurrowError('ALREADY_INITIALIZED', `${o.home} already holds a burrow server; use another --home.`);
  if (o.adminPassword !== undefined) checkPasswordStrength(o.adminPassword);
  if (!isEmail(o.adminEmail)) throw new BurrowError('VALIDATION', `--admin-email: "${o.adminEmail}" is not an email address (name@host).`);
  const listen = optionValue('--listen', serverConfigSchema.shape.listen, o.listen);
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)];
  const publicUrl = o.publicUrl ?? `https://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  if (!/^https:\/\/[^/?#\s]+\/?$/.test(publicUrl) || !URL.canParse(publicUrl)) {
    throw new BurrowError('VALIDATION', `--public-url: "${publicUrl}" is not a URL like https://burrow.example.com or https://203.0.113.7:8443.`);
  }
  // Session ports open on the interface the server listens on: a server kept on loopback
  // must not expose its session ports to the network.
  const sessionHost = host === '' ? '0.0.0.0' : host.replace(/^\[(.*)\]$/, '$1');
  const sessionDomain = o.sessionDomain === undefined ? undefined : optionValue('--session-domain', sessionDomainSchema, o.sessionDomain);
  const database = o.database === undefined ? undefined : optionValue('--database', databaseUrlSchema, o.database);
  const peer = peerOptions(o);
  const config = serverConfigSchema.parse({ listen, publicUrl, sessionPorts: o.sessionPorts, sessionHost, ...(sessionDomain ? { sessionDomain } : {}), ...(database ? { database } : {}), ...peer });
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
      throw new BurrowError('ALREADY_INITIALIZED', `The database ${redactDatabaseUrl(database)} already holds a burrow server; give "server init" an empty database.`);
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
  // Kept when already there: an instance joining a deployment has the deployment's pair copied in.
  await readOrCreatePeerCredentials(o.home);
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
