import { after, describe } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type StoreEngine } from './database.js';
import { startScratchPostgres, type ScratchPostgres } from './scratchPostgres.js';

/** One scratch cluster per test process (per test file), started at first use, gone at exit. */
let cluster: Promise<ScratchPostgres> | undefined;

/** Fresh, empty databases of one engine for tests; `close()` closes and removes every one made. */
export class TestStore {
  private readonly open: Database[] = [];
  private readonly targets = new Map<Database, string>();
  private dir: string | undefined;
  private n = 0;

  constructor(readonly engine: StoreEngine) {}

  /** A new empty database of this engine (a PostgreSQL one fails the test if no cluster can start: never a skip). */
  async create(): Promise<Database> {
    let target: string;
    if (this.engine === 'postgres') {
      cluster ??= startScratchPostgres();
      target = await (await cluster).createDatabase();
    } else {
      this.dir ??= await mkdtemp(join(tmpdir(), 'burrow-store-'));
      target = join(this.dir, `db${++this.n}.sqlite`);
    }
    return this.connect(target);
  }

  /** A second connection to the database `db` is on, as another server process would hold. */
  another(db: Database): Promise<Database> {
    const target = this.targets.get(db);
    if (target === undefined) throw new Error('another(): not a database this TestStore made');
    return this.connect(target);
  }

  private async connect(target: string): Promise<Database> {
    const db = await Database.open(target);
    this.open.push(db);
    this.targets.set(db, target);
    return db;
  }

  /** Closes every database made, and removes the SQLite files. */
  async close(): Promise<void> {
    await Promise.all(this.open.splice(0).map((db) => db.close().catch(() => undefined)));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Both engines: every store test runs on each. */
export const STORE_ENGINES: readonly StoreEngine[] = ['sqlite', 'postgres'];

/**
 * Defines the suite `name` once per engine (`name (sqlite)`, `name (postgres)`), each with
 * its own TestStore, closed after the suite.
 */
export function describeEachStore(name: string, define: (store: TestStore) => void): void {
  for (const engine of STORE_ENGINES) {
    describe(`${name} (${engine})`, () => {
      const store = new TestStore(engine);
      after(() => store.close());
      define(store);
    });
  }
}
