import { after, afterEach, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { SecretBox } from '../../shared/secretBox.js';
import { Database } from '../store/database.js';
import { insertGroup, ROOT_GROUP_ID } from '../store/groupStore.js';
import { loadMigrations, migrate, type Migration } from '../store/migrate.js';
import { getUser, grantRole, insertUser, type UserRecord } from '../store/userStore.js';
import type { LoginDeps } from './login.js';
import { hashPassword } from './password.js';
import { newTotpSecret } from './totp.js';
import { stepOf, totpAtStep } from './totpReference.testkit.js';

/** The password of every sign-in world's user. */
export const WORLD_PASSWORD = 'correct horse battery';
/** The worlds' clock starts mid-step, so ±1 step skew is not about rounding. */
export const WORLD_START = 1_700_000_025_000;

/** A fresh database with one root admin who has TOTP enrolled, on a fake clock. */
export interface SignInWorld {
  d: LoginDeps;
  db: Database;
  clock: FakeClock;
  user: UserRecord;
  secret: string;
  /** The TOTP code of the clock's current step, plus `delta` steps. */
  code(delta?: number): string;
}

/**
 * Registers the suite's hooks (a temp dir, one password hash for all: scrypt is slow, and
 * closing each test's databases) and gives the function that makes a world per test.
 */
export function signInWorlds(name: string): (user: { id: string; email: string; totpConfirmed: boolean }) => Promise<SignInWorld> {
  let root = '';
  let migrations: Migration[] = [];
  let passwordHash = '';
  let n = 0;
  const open: Database[] = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), `burrow-${name}-`));
    migrations = await loadMigrations(new URL('../../../../migrations', import.meta.url).pathname);
    passwordHash = await hashPassword(WORLD_PASSWORD);
  });
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return async ({ id, email, totpConfirmed }) => {
    const dir = join(root, `w${++n}`);
    const db = await Database.open(`${dir}.sqlite`);
    open.push(db);
    await migrate(db, migrations);
    const box = await SecretBox.fromKeyFile(`${dir}.key`);
    const clock = new FakeClock(WORLD_START);
    const secret = newTotpSecret();
    await insertGroup(db, { id: ROOT_GROUP_ID, name: 'root', parentId: null }, WORLD_START);
    await insertUser(db, { id, email, passwordHash, totpSecretEnc: box.seal(secret, id), totpConfirmed, createdAt: WORLD_START });
    await grantRole(db, id, ROOT_GROUP_ID, 'admin');
    const user = (await getUser(db, id)) as UserRecord;
    return { d: { db, clock, box }, db, clock, user, secret, code: (delta = 0) => totpAtStep(secret, stepOf(clock.now()) + delta) };
  };
}
