import { BurrowError } from '../../shared/errors.js';
import type { SecretBox } from '../../shared/secretBox.js';
import { macMatches } from '../audit/auditChain.js';
import type { Queryable } from '../store/database.js';
import { getGroup, ROOT_GROUP_ID } from '../store/groupStore.js';

/** How the joining instance names the bundle and the database in what it says. */
export interface MatchNames {
  bundle: string;
  /** The database URL, its password redacted. */
  database: string;
}

/**
 * Checks, reading only, that the database holds a deployment this burrow can serve: made
 * by `server init` (so migrated, with its root group) and at a schema version it knows.
 */
export async function checkDeploymentInitialized(q: Queryable, migrations: number, n: MatchNames): Promise<void> {
  // A database no burrow has touched has no schema_migrations table: the query fails.
  const version = await q.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations').then((r) => Number(r?.v ?? 0), () => 0);
  if (version === 0 || !(await getGroup(q, ROOT_GROUP_ID).catch(() => undefined))) {
    throw new BurrowError('NOT_INITIALIZED', `The database ${n.database} holds no burrow deployment yet: make its first instance with "burrow server init --database …", then join others to it; nothing was written.`);
  }
  if (version > migrations) {
    throw new BurrowError('CONFLICT', `The database ${n.database} is at schema version ${version}, newer than this burrow knows (${migrations}): join with the burrow version the deployment runs; nothing was written.`);
  }
}

/**
 * Checks that the bundle's keys are the ones the database's deployment uses: its sealing key
 * opens a secret sealed in the database (a user's TOTP secret), and its audit MAC key
 * verifies the newest sealed audit entry. Either proof alone would let a bundle with one
 * right key and one foreign key through; so each that the database allows is made.
 */
export async function checkBundleMatches(q: Queryable, keys: { box: SecretBox; macKey: Buffer }, n: MatchNames): Promise<void> {
  const other = (why: string) => new BurrowError('CONFLICT', `The bundle ${n.bundle} is not from the deployment in ${n.database}: ${why}; nothing was written.`);
  const sealed = await q.get<{ id: string; totp_secret_enc: string }>('SELECT id, totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL ORDER BY created_at, id LIMIT 1');
  const entry = await q.get<{ hash: string; mac: string }>('SELECT hash, mac FROM audit_log WHERE mac IS NOT NULL ORDER BY seq DESC LIMIT 1');
  if (!sealed && !entry) {
    throw new BurrowError('CONFLICT', `The database ${n.database} holds no sealed secret and no sealed audit entry to check the bundle ${n.bundle} against; nothing was written.`);
  }
  if (sealed) {
    try {
      keys.box.open(sealed.totp_secret_enc, sealed.id);
    } catch {
      throw other('its sealing key (secret.key) cannot open the secrets stored there');
    }
  }
  if (entry && !macMatches(keys.macKey, entry.hash, entry.mac)) throw other("its audit MAC key does not verify the audit log's newest entry");
}
