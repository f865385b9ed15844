// Opening a study store (Optuna's storage model: resuming a study is reopening its store): the
// location parsed (storeLocation.ts), an SQLite file made atomically beside its path or a
// PostgreSQL database connected to, the schema migrated (schema.ts) under SQLite's write lock or
// PostgreSQL's advisory lock, and closing, with the removal of a store its creator made for
// nothing. Every other concern of the store works on the driver this opens (storePart.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { makeDirs } from '../../io/outputPath';
import { PgDriver } from '../pgDriver';
import { MIGRATIONS, PG_MIGRATIONS, SCHEMA_VERSION } from '../schema';
import type { SqlDriver } from '../sqlDriver';
import { SqliteDriver } from '../sqliteDriver';
import { storeHooksFromEnv, type StoreHooks } from '../storeHooks';
import { DEFAULT_PG_CONNECT_TIMEOUT_S, parseStoreLocation, StoreError } from '../storeLocation';
import { explainPgConnectError, explainStoreError } from './storeErrors';

export const DEFAULT_STORE = path.join('runs', 'tsnas.db');

/**
 * The schema version of a store its creator removed again (closeAndRemoveIfUnused): set under an
 * exclusive lock just before the file goes, it tells an opener that reached the file first to
 * look again. Above any real version, so that an older tsnas refuses it too.
 */
const REMOVED_STORE = 2147483647;
/** How often an opener looks again at a store marked removed (10 ms apart) before it gives up. */
const REMOVED_RETRIES = 1000;
class StoreRemovedError extends Error {}

const isCantOpen = (err: unknown) => String((err as { code?: unknown })?.code).startsWith('SQLITE_CANTOPEN');

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Makes a new directory entry durable (best effort: not every filesystem syncs directories). */
function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // the entry is there; only its durability across a power cut is not promised
  }
}

/** SQLite cannot set up the shared memory of a WAL store it may not write beside (a read-only directory). */
const cannotReadInPlace = (err: unknown) =>
  /^SQLITE_(READONLY_(DIRECTORY|CANTINIT|RECOVERY|CANTLOCK)|CANTOPEN)/.test(String((err as { code?: unknown })?.code));

export interface StoreOptions {
  /**
   * Where per-study directories go (default: <dir of the db>/studies; a temp dir per store for
   * ':memory:'; for PostgreSQL $TSNAS_STUDIES_DIR, else runs/studies: a new study records it).
   */
  studiesRoot?: string;
  /** 'full' syncs the WAL at every commit (survives power loss); 'normal' survives process crashes only. */
  durability?: 'full' | 'normal';
  readonly?: boolean;
  /** Opens an existing store for writing, never makes one: a missing store is an error (commands that only use a store). */
  mustExist?: boolean;
  /** PostgreSQL: seconds to wait for the server to accept a connection (default 10; the address's connect_timeout=S wins). */
  connectTimeoutS?: number;
  /** Tests: pauses in opening, making and removing a store (storeHooks.ts; default: from TSNAS_TEST_STORE_PAUSE). */
  hooks?: StoreHooks;
}

/** In-memory stores opened by this process: each gets studies of its own. */
let memoryStores = 0;

/** An open store's database and what opening it found or made. */
export class OpenedStore {
  /** The database the store's SQL runs on (SQLite or PostgreSQL). */
  readonly driver: SqlDriver;
  readonly studiesRoot: string;

  /** A copy read in place of a store in a directory SQLite may not write to (read-only opens only). */
  private copyDir: string | null = null;
  /** An in-memory store's temp directory of study files, removed when it closes. */
  private readonly ownTempStudies: boolean;

  /** The store's location as given (a PostgreSQL URL without its password). */
  readonly file: string;

  /** Whether this open made the store (a new SQLite file, or a PostgreSQL database's tables). */
  readonly created: boolean;
  /** The inode of the SQLite file this open made and linked into place (null: it made none). */
  private createdIno: number | null = null;
  private readonly hooks: StoreHooks;

  constructor(location: string, o: StoreOptions) {
    const loc = parseStoreLocation(location);
    this.file = loc.kind === 'postgres' ? loc.shown : loc.file;
    this.hooks = o.hooks ?? storeHooksFromEnv();
    if (loc.kind === 'postgres') {
      this.ownTempStudies = false;
      this.studiesRoot = path.resolve(o.studiesRoot ?? process.env.TSNAS_STUDIES_DIR ?? path.join('runs', 'studies'));
      const timeoutS = loc.connectTimeoutS ?? o.connectTimeoutS ?? DEFAULT_PG_CONNECT_TIMEOUT_S;
      try {
        this.driver = PgDriver.connect(loc.url, loc.shown, timeoutS * 1000);
      } catch (err) {
        throw explainPgConnectError(loc, err, timeoutS);
      }
      try {
        this.created = this.migratePg(!!o.readonly, !!o.mustExist);
      } catch (err) {
        this.driver.close();
        throw explainStoreError(this.file, err);
      }
      return;
    }
    const file = loc.file;
    const memory = file === ':memory:';
    this.ownTempStudies = memory && !o.studiesRoot;
    this.studiesRoot =
      o.studiesRoot ??
      (memory
        ? path.join(os.tmpdir(), `tsnas-studies-${process.pid}-${++memoryStores}`)
        : path.join(path.dirname(path.resolve(file)), 'studies'));
    let db: Database.Database;
    try {
      if (memory) db = this.openDatabase(file, o, false);
      else db = this.openFile(file, o);
    } catch (err) {
      if (this.copyDir) fs.rmSync(this.copyDir, { recursive: true, force: true });
      throw explainStoreError(file, err);
    }
    this.driver = new SqliteDriver(db);
    this.created = this.createdIno !== null;
  }

  /**
   * Opens an SQLite store's file, making it first when it does not exist (and the options allow):
   * a new store is made and migrated under a temporary name beside it and linked into place only
   * if no store appeared there meanwhile (link(2) never replaces a file), so that no opener ever
   * sees a half-made store and two makers never both migrate one. The one whose link made the file
   * is its creator (`created`). A store its creator removed again (closeAndRemoveIfUnused) is
   * marked as removed before it goes: an opener that reached it first sees the mark and opens
   * whatever is at the path now.
   */
  private openFile(file: string, o: StoreOptions): Database.Database {
    const missing = () =>
      new StoreError(`no study store at ${file} (a search with \`store\` ${file} makes one)`, {
        value: file,
      });
    for (let attempt = 0; ; attempt++) {
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (stat?.isDirectory())
        throw new StoreError(
          `${file} is a directory, not a study store: give the store's file (e.g. \`store\` ${path.join(file, 'tsnas.db')})`,
          { value: file },
        );
      if (!stat) {
        if (o.readonly || o.mustExist) throw missing();
        this.publishNew(file, o);
      }
      try {
        try {
          return this.openDatabase(file, o, true);
        } catch (err) {
          // A store (WAL mode) in a directory this process may not write: SQLite cannot create the
          // shared-memory file it reads through, so read a private copy (the store and its WAL).
          if (!o.readonly || !cannotReadInPlace(err) || !fs.existsSync(file)) throw err;
          const copyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-readonly-store-'));
          this.copyDir = copyDir;
          const copy = path.join(copyDir, path.basename(file));
          fs.copyFileSync(file, copy);
          if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
          return this.openDatabase(copy, o, true);
        }
      } catch (err) {
        // Removed between the look and the open, or marked removed by its creator: look again.
        const gone = err instanceof StoreRemovedError || (isCantOpen(err) && !fs.existsSync(file));
        if (!gone) throw err;
        if (attempt >= REMOVED_RETRIES)
          throw new StoreError(
            `the study store ${file} was being removed by the command that made it (it held no study) and is still there: ` +
              'if no tsnas command runs on it, remove the file and run again',
          );
        sleepMs(10);
      }
    }
  }

  /** Makes a new store at `file` (see openFile); whether this process's store went into place. */
  private publishNew(file: string, o: StoreOptions): void {
    const dir = path.dirname(path.resolve(file));
    const temp = path.join(dir, `.${path.basename(file)}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.new`);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          makeDirs(dir); // checked level by level: Node's recursive mkdir loops forever under /proc
        } catch (err) {
          throw new StoreError(
            `cannot create the directory of the study store ${file} (${(err as Error).message}); give a store path in a writable directory`,
            { cause: err },
          );
        }
        try {
          const db = new Database(temp);
          try {
            db.pragma('journal_mode = WAL');
            db.pragma(`synchronous = ${o.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
            db.transaction(() => {
              for (const m of MIGRATIONS) db.exec(m);
              db.pragma(`user_version = ${SCHEMA_VERSION}`);
            }).immediate();
          } finally {
            // The last connection: its WAL goes into the file and is removed.
            db.close();
          }
          break;
        } catch (err) {
          // The directory, just made, was removed by a failed command that had made it too: again.
          if (attempt < 5 && isCantOpen(err) && !fs.existsSync(dir)) continue;
          throw err;
        }
      }
      this.hooks.beforePublish?.(file);
      const ino = fs.statSync(temp).ino;
      try {
        fs.linkSync(temp, file);
        this.createdIno = ino;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 'EEXIST') return; // another opener's store came first: open that one
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes(String(code))) throw err;
        // A filesystem without hard links: an empty file made exclusively (O_EXCL) is this
        // process's store; it migrates in place, under SQLite's write lock (migrate).
        try {
          const fd = fs.openSync(file, 'wx');
          this.createdIno = fs.fstatSync(fd).ino;
          fs.closeSync(fd);
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
        }
      }
      fsyncDir(dir);
    } finally {
      for (const f of [temp, `${temp}-wal`, `${temp}-shm`, `${temp}-journal`]) fs.rmSync(f, { force: true });
    }
  }

  /** The SQLite database (an SQLite store's only: tests and benchmarks that look underneath). */
  get db(): Database.Database {
    if (this.driver instanceof SqliteDriver) return this.driver.db;
    throw new Error(`${this.file} is a PostgreSQL store: it has no SQLite database`);
  }

  /**
   * Opens the database with the store's settings and schema (migrated when writing); throws
   * SQLite's errors. Reading opens a connection that may not write (query_only) rather than a
   * read-only one: a read-only connection to a WAL store leaves its -wal and -shm files behind,
   * while this one removes them when it closes, so reading a store leaves its directory as it was.
   * The first thing read is the schema version, before anything is written (the journal mode): a
   * store marked removed (closeAndRemoveIfUnused) is left as it is (StoreRemovedError).
   */
  private openDatabase(file: string, o: StoreOptions, mustExist: boolean): Database.Database {
    const db = new Database(file, { fileMustExist: mustExist });
    try {
      db.pragma('busy_timeout = 10000');
      this.hooks.afterOpenFile?.(file);
      if ((db.pragma('user_version', { simple: true }) as number) === REMOVED_STORE) throw new StoreRemovedError();
      if (o.readonly) db.pragma('query_only = ON');
      else {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${o.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
      }
      db.pragma('foreign_keys = ON');
      this.migrate(db, !!o.readonly);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    this.driver.close();
    if (this.copyDir) fs.rmSync(this.copyDir, { recursive: true, force: true });
    // An in-memory store's study files go with it (its own temp directory, unless one was given).
    if (this.ownTempStudies) fs.rmSync(this.studiesRoot, { recursive: true, force: true });
  }

  /**
   * Closes the store and removes its file when this process can prove the file its own and
   * unused: it made the file (`created`), the file holds no study, it is still the file at that
   * path, and no other connection of any process has it open (leaving WAL mode needs that, so it
   * is tried without waiting). The file is marked removed (its schema version) under that lock
   * before it goes, so an opener that had just opened it looks again. Returns whether it removed
   * the file; a PostgreSQL database, and a store another process has open, are only closed.
   */
  closeAndRemoveIfUnused(): boolean {
    if (this.createdIno === null || !(this.driver instanceof SqliteDriver) || !this.driver.open || this.copyDir) {
      this.close();
      return false;
    }
    const db = this.driver.db;
    let removable = false;
    try {
      this.hooks.beforeRemove?.(this.file);
      // In WAL mode with exclusive locking, the write transaction takes an exclusive lock on the
      // file, which fails at once (no wait) while any other connection has the store open; it
      // also reads the store as it is now, other processes' last writes included.
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      try {
        removable = db
          .transaction(() => {
            const studies = db.prepare('SELECT COUNT(*) AS n FROM studies').get() as { n: number };
            if (studies.n > 0 || fs.statSync(this.file, { throwIfNoEntry: false })?.ino !== this.createdIno)
              return false;
            db.pragma(`user_version = ${REMOVED_STORE}`);
            return true;
          })
          .immediate();
      } catch (err) {
        if (!/^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code))) throw err;
      }
      // Still holding the lock: out of WAL mode, so the mark is in the file itself and the WAL
      // and its index are gone before the lock is.
      if (removable) db.pragma('journal_mode = DELETE');
    } finally {
      this.close();
    }
    if (removable) fs.rmSync(this.file, { force: true });
    return removable;
  }

  private migrate(db: Database.Database, readonly: boolean): void {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (!this.checkVersion(version, readonly)) return;
    this.hooks.beforeMigrate?.(this.file);
    db.transaction(() => {
      // Again under the write lock: another process may have migrated since the look above.
      const now = db.pragma('user_version', { simple: true }) as number;
      if (!this.checkVersion(now, false)) return;
      for (let v = now; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  /** Whether a store at this schema version needs migrating (throws for one it cannot open). */
  private checkVersion(version: number, readonly: boolean): boolean {
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${this.file} was written by a newer tsnas (store schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade tsnas to open it`,
      );
    }
    if (version === SCHEMA_VERSION) return false;
    if (readonly) {
      // Reading needs no migration: rows of an older schema read with the newer columns' defaults.
      if (version === 0)
        throw new Error(
          `${this.file} holds no study store (no tsnas schema); give the store a search wrote (\`store\` FILE)`,
        );
      return false;
    }
    return true;
  }

  /**
   * PostgreSQL's migrations: the version in tsnas_schema, applied in one transaction under an
   * advisory lock, so that workers starting together migrate once. Returns whether it made the
   * tables (a new store). Under the lock the version is read from the catalog itself: a name
   * looked up before the lock (to_regclass) may be answered from the session's cache as missing
   * although another process has since made the table, which made two new stores' creators both
   * run CREATE TABLE (relation "tsnas_schema" already exists).
   */
  private migratePg(readonly: boolean, mustExist: boolean): boolean {
    const d = this.driver;
    const versionNow = (): number => {
      const t = d.get<{ t: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname = 'tsnas_schema' AND n.nspname = current_schema()) AS t`,
      );
      if (!t?.t) return 0;
      return d.get<{ version: number }>('SELECT version FROM tsnas_schema')?.version ?? 0;
    };
    const found = versionNow();
    if (mustExist && found === 0) this.checkVersion(0, true); // throws: no store there
    if (!this.checkVersion(found, readonly)) return false;
    return d.transaction(() => {
      this.hooks.beforeMigrationLock?.(this.file);
      d.get('SELECT pg_advisory_xact_lock(7275001)');
      const version = versionNow();
      if (!this.checkVersion(version, false)) return false;
      if (version === 0)
        d.exec('CREATE TABLE tsnas_schema (version INTEGER NOT NULL); INSERT INTO tsnas_schema VALUES (0)');
      for (let v = version; v < SCHEMA_VERSION; v++) d.exec(PG_MIGRATIONS[v]!);
      d.run('UPDATE tsnas_schema SET version = ?', [SCHEMA_VERSION]);
      return version === 0;
    });
  }
}
