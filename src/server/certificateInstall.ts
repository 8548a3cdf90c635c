import type { Clock } from '../shared/clock.js';
import { BurrowError } from '../shared/errors.js';
import { exists, writeFileAtomic } from '../shared/secureFiles.js';
import { loadAuditKeys } from './audit/auditKeys.js';
import { loadCertificate } from './certificateFiles.js';
import { lockHolder, lockHome } from './homeLock.js';
import { serverPaths } from './serverHome.js';
import { recordAudit } from './store/auditStore.js';
import { Database } from './store/database.js';

/** What `server cert set` did. */
export interface CertificateInstalled {
  fingerprint: string;
  notAfter: string;
  /** The pid of the running server that was told (SIGHUP) to reload, if one runs. */
  reloadedBy?: number;
}

/**
 * Installs an operator's certificate chain and key in a server home, once they passed the
 * checks a TLS client would make (see checkCertificate). A running server is sent SIGHUP and
 * records the reload in its audit log; with no server running, the change is audited here.
 */
export async function installCertificate(o: { home: string; certFile: string; keyFile: string; clock: Clock }): Promise<CertificateInstalled> {
  const paths = serverPaths(o.home);
  if (!(await exists(paths.config))) throw new BurrowError('NOT_INITIALIZED', `${o.home} holds no burrow server; run "burrow server init" first.`);
  const cert = await loadCertificate(o.certFile, o.keyFile, o.clock.now());
  const installed = { fingerprint: cert.pin, notAfter: new Date(cert.notAfter).toISOString() };
  // The key goes first: a server watching the files sees at worst a key without its
  // certificate for a moment, which it refuses, and never serves a mismatched pair.
  await writeFileAtomic(paths.tlsKey, cert.key, 0o600);
  await writeFileAtomic(paths.tlsCert, cert.cert, 0o644);
  const running = await lockHolder(o.home);
  if (running !== undefined) {
    process.kill(running, 'SIGHUP');
    return { ...installed, reloadedBy: running };
  }
  // No server runs: hold the lock so that none starts while the store is written.
  const lock = await lockHome(o.home);
  try {
    const db = await Database.open(paths.database);
    try {
      db.sealAuditWith((await loadAuditKeys(o.home)).macKey);
      await recordAudit(db, { actor: 'system', action: 'server.cert.set', target: o.certFile, result: 'ok', detail: installed }, o.clock.now());
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
  return installed;
}
