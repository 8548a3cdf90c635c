import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { BurrowError } from '../../shared/errors.js';
import { parseSshKey } from '../../shared/sshKeys.js';
import { auditPaths } from '../audit/auditKeys.js';
import type { BackupFile } from '../backup/backupFormat.js';
import { serverPaths } from '../serverHome.js';

/** Paths relative to a home: what serverPaths and auditPaths name, without the home. */
const server = serverPaths('');
const audit = auditPaths('');

/**
 * The secrets every instance of a deployment holds alike, by path in the home: the key that
 * seals secrets in the database, the TLS certificate nodes pin, the SSH host key nodes pin,
 * and the keys that seal and sign the one audit chain. An instance with other ones would
 * fail to open TOTP secrets, be refused by nodes, or fork the audit chain.
 */
const REQUIRED = [server.secretKey, server.tlsCert, server.tlsKey, server.hostKey, server.hostKeyPub, audit.macKey, audit.signingKey, audit.publicKey] as const;

/**
 * The peer link's key pair: every instance presents it and accepts only it, so a joining
 * instance without it could neither reach the nodes other instances hold nor be reached.
 * A bundle from a home made before peer links lacks it (that home makes it at its next start).
 */
const PEER = [server.peerKey, server.peerCert] as const;

/**
 * What a joining home takes from a secrets bundle: the shared secrets and nothing else.
 * Left behind: the source instance's config, instance id, audit checkpoints, logs and any
 * database, which are that instance's own.
 */
export function sharedSecretsOf(files: readonly BackupFile[], bundle: string): BackupFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const missing = REQUIRED.filter((p) => !byPath.has(p));
  if (missing.length) {
    throw new BurrowError('VALIDATION', `The bundle ${bundle} lacks ${missing.join(', ')}: make it with "burrow server backup --secrets-only" on an instance of the deployment.`);
  }
  if (PEER.some((p) => !byPath.has(p))) {
    throw new BurrowError('VALIDATION', `The bundle ${bundle} holds no peer key pair (${PEER.join(', ')}), which every instance needs to reach the nodes the others hold: make a new bundle with "burrow server backup --secrets-only" on an instance started with this version of burrow; nothing was written.`);
  }
  const picked = [...REQUIRED, ...PEER].map((p) => byPath.get(p) as BackupFile);
  checkPairs(byPath, bundle);
  return picked;
}

/** Each private key must be the one its public half or certificate names: a mixed-up bundle is refused up front. */
function checkPairs(byPath: Map<string, BackupFile>, bundle: string): void {
  const text = (p: string) => (byPath.get(p) as BackupFile).data.toString('utf8');
  const fail = (what: string) => new BurrowError('VALIDATION', `The bundle ${bundle} is not usable: ${what}.`);
  try {
    if (!new X509Certificate(text(server.tlsCert)).checkPrivateKey(createPrivateKey(text(server.tlsKey)))) throw fail('its TLS key does not belong to its certificate');
  } catch (err) {
    throw err instanceof BurrowError ? err : fail('its TLS certificate or key cannot be read');
  }
  try {
    const signing = createPublicKey(createPrivateKey(text(audit.signingKey))).export({ type: 'spki', format: 'der' });
    if (!signing.equals(createPublicKey(text(audit.publicKey)).export({ type: 'spki', format: 'der' }))) throw fail('its audit signing key does not match its public key');
  } catch (err) {
    throw err instanceof BurrowError ? err : fail('its audit signing key cannot be read');
  }
  try {
    if (!new X509Certificate(text(server.peerCert)).checkPrivateKey(createPrivateKey(text(server.peerKey)))) throw fail('its peer key does not belong to its peer certificate');
  } catch (err) {
    throw err instanceof BurrowError ? err : fail('its peer certificate or key cannot be read');
  }
  const host = parseSshKey(text(server.hostKey));
  const hostPub = parseSshKey(text(server.hostKeyPub));
  if (host instanceof Error || hostPub instanceof Error || !host.getPublicSSH().equals(hostPub.getPublicSSH())) throw fail('its SSH host key does not match its public key');
}
