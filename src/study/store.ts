// The study store: one SQLite file (better-sqlite3, WAL, busy timeout) or one PostgreSQL database
// (a server many workers on many machines share; a `store` of postgres://user@host:port/db) holding
// studies, trials, strategy state and artifact references, with the same schema, migrations and
// guarantees in both (sqlDriver.ts). Large artifacts live as files in a per-study directory:
// beside an SQLite database (<dir of db>/studies/<study>/), or for PostgreSQL the directory the
// study names (files_dir, a directory every worker shares). Every write is one short transaction,
// so a process killed at any moment leaves either the old row or the new one. Resuming a study is
// reopening the store (Optuna's storage model).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { ArchCosts } from '../cost/costModel';
import { ArtifactMissingError, StudyFiles } from './artifacts';
import { makeDirs } from '../io/outputPath';
import { isPostgresUrl, PgDriver } from './pgDriver';
import { MIGRATIONS, PG_MIGRATIONS, SCHEMA_VERSION } from './schema';
import type { SqlDriver } from './sqlDriver';
import { SqliteDriver } from './sqliteDriver';
import { storeHooksFromEnv, type StoreHooks } from './storeHooks';
import {
  DEFAULT_PG_CONNECT_TIMEOUT_S,
  parseStoreLocation,
  StoreError,
  STORE_FORMS,
  type StoreLocation,
} from './storeLocation';
import type { StateKey } from './stateKey';
import {
  INTERRUPTED_ERROR,
  isInterrupted,
  type ArtifactRecord,
  type Direction,
  type StudyInit,
  type StudyRecord,
  type StudySummary,
  type TrialRecord,
  type TrialState,
} from './types';
import { parseWorker, pidAlive, workerAlive, type WorkerId } from './worker';

export const DEFAULT_STORE = path.join('runs', 'tsnas.db');

/** Study names double as directory names. */
export const STUDY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * An error about one study of a store, with the facts a client needs to say what to run next (the
 * CLI turns them into its command line: src/cli/errorText.ts).
 */
export class StudyError extends Error {
  /** What was wrong (the message without the hint). */
  readonly problem: string;
  /** What to do (the message is `problem; hint`). */
  readonly hint: string | undefined;
  readonly study: string | undefined;
  readonly store: string | undefined;
  constructor(problem: string, facts: { hint?: string; study?: string; store?: string } = {}) {
    super(facts.hint ? `${problem}; ${facts.hint}` : problem);
    this.problem = problem;
    this.hint = facts.hint;
    this.study = facts.study;
    this.store = facts.store;
  }
}
/** The study name is taken in the store: resume it, or choose another name. */
export class StudyExistsError extends StudyError {}
export { StoreError, STORE_FORMS };

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

/**
 * An error of SQLite about a store, as one that names the file, says what is wrong in words, and
 * what to do (SQLite's own words kept in parentheses). Other errors are returned unchanged.
 */
export function explainStoreError(file: string, err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  if (isPostgresUrl(file) || file.startsWith('postgres')) return explainPgError(file, err, code);
  if (!code.startsWith('SQLITE_')) return err;
  const said = `(SQLite: ${err.message}, ${code})`;
  const dir = path.dirname(path.resolve(file));
  let what: string;
  if (code === 'SQLITE_NOTADB')
    what =
      `${file} is not a study store: it is not an SQLite database ${said}; give the file a search wrote ` +
      '(`store` FILE), or a path that does not exist yet to start a new store';
  else if (code.startsWith('SQLITE_READONLY'))
    what =
      `cannot write the study store ${file}: the file or its directory ${dir} is read-only ${said}; a search writes ` +
      'the store and files beside it: give a writable `store` path, or make it writable. Reading works read-only';
  else if (code === 'SQLITE_FULL')
    what = `the disk holding the study store ${file} is full ${said}; free some space, then resume (finished trials are kept)`;
  else if (code.startsWith('SQLITE_IOERR'))
    what =
      `disk I/O error on the study store ${file} ${said}: the disk may be full or failing, or the file on a network ` +
      'filesystem without working locks; check the disk, or copy the store (with its studies/ directory) to a local disk';
  else if (code.startsWith('SQLITE_CORRUPT'))
    what = `the study store ${file} is damaged ${said}; restore it from a copy, or start a new store (\`store\` NEW)`;
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    what = `the study store ${file} stayed locked by another process ${said}; wait for it to finish, then retry`;
  else if (code.startsWith('SQLITE_CANTOPEN'))
    what = `cannot open the study store ${file} ${said}: check that ${dir} exists and can be read (and written, for a search)`;
  else what = `study store ${file}: ${err.message} (${code})`;
  return new StoreError(what, { cause: err, value: file, readable: code.startsWith('SQLITE_READONLY') });
}

/**
 * A failure to connect to a PostgreSQL store, as an error that names the store (password hidden),
 * what happened and what to try.
 */
function explainPgConnectError(
  loc: Extract<StoreLocation, { kind: 'postgres' }>,
  err: unknown,
  timeoutS: number,
): unknown {
  if (!(err instanceof Error) || err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') {
    const explained = explainPgError(loc.shown, err, code);
    if (explained !== err) return explained;
  }
  let where = 'its host and port';
  try {
    const u = new URL(loc.url);
    where = `${u.hostname || 'localhost'}:${u.port || 5432}`;
  } catch {
    // parsed before: a URL
  }
  const said = `(PostgreSQL client: ${err.message}${typeof code === 'string' && code ? `, ${code}` : ''})`;
  let what: string;
  if (/bytes came back, none of them/.test(err.message))
    what =
      `the server at ${where} of the study store ${loc.shown} answered in something other than PostgreSQL's protocol ${said}: ` +
      "check the port (PostgreSQL's default is 5432): another service listens there";
  else if (/timeout expired|connection timeout|timed out/i.test(err.message))
    what =
      `no answer from the PostgreSQL server of the study store ${loc.shown} within ${timeoutS} s ${said}: something at ${where} ` +
      'accepted the connection (or the network holds it) but never answered; check that the host and port are those of a PostgreSQL server ' +
      'and that nothing between drops its answers, or wait longer: add connect_timeout=SECONDS to the address';
  else if (/does not support SSL/i.test(err.message))
    what =
      `the server at ${where} of the study store ${loc.shown} does not accept SSL connections, and the address asks for them ${said}: ` +
      'remove sslmode from the address (or set sslmode=disable) to connect without SSL, or enable SSL on the server';
  else if (/terminated unexpectedly|unexpected message|Received unexpected|protocol|invalid/i.test(err.message))
    what =
      `the server at ${where} of the study store ${loc.shown} closed the connection or answered in something other than PostgreSQL's protocol ${said}: ` +
      "check the port (PostgreSQL's default is 5432): another service may listen there";
  else
    what = `cannot connect to the PostgreSQL server at ${where} of the study store ${loc.shown} ${said}: check the address and that the server runs`;
  return new StoreError(what, { cause: err });
}

/** An error of PostgreSQL (or of reaching it) about a store, in the same words as SQLite's. */
function explainPgError(url: string, err: Error, code: string): unknown {
  const said = `(PostgreSQL: ${err.message}, ${code})`;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', '57P03'].includes(code))
    return new StoreError(
      `cannot reach the PostgreSQL server of the study store ${url} ${said}: check that the server runs and the host and port of \`store\` are right`,
      { cause: err },
    );
  if (code === '28P01' || code === '28000')
    return new StoreError(
      `PostgreSQL refused the user of the study store ${url} ${said}: give a user it accepts (postgres://USER:PASSWORD@HOST:PORT/DB)`,
      { cause: err },
    );
  if (code === '3D000')
    return new StoreError(
      `the PostgreSQL database of the study store ${url} does not exist ${said}: create it (createdb NAME) or name another one in \`store\``,
      { cause: err },
    );
  if (code === '42501')
    return new StoreError(
      `the user of the study store ${url} may not create or write its tables ${said}: grant it CREATE and write rights on the database`,
      { cause: err },
    );
  return err;
}

/** SQLite cannot set up the shared memory of a WAL store it may not write beside (a read-only directory). */
const cannotReadInPlace = (err: unknown) =>
  /^SQLITE_(READONLY_(DIRECTORY|CANTINIT|RECOVERY|CANTLOCK)|CANTOPEN)/.test(String((err as { code?: unknown })?.code));
/** A study directory that belongs to another study (of another store in the same directory). */
export class StudyDirError extends Error {}

/** The note in a study directory saying whose files it holds. */
export const STUDY_DIR_OWNER = '.tsnas-study.json';
interface StudyDirOwner {
  about: string;
  store: string;
  study: string;
  id: number;
  createdAt: number;
}

function readStudyDirOwner(dir: string): StudyDirOwner | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, STUDY_DIR_OWNER), 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as StudyDirOwner;
  } catch {
    return { about: '', store: '(unreadable note)', study: '?', id: -1, createdAt: 0 };
  }
}

/** Whether a directory holds nothing but a study's note and empty directories. */
function onlyNoteAndEmptyDirs(dir: string): boolean {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .every((e) => (e.isDirectory() ? onlyNoteAndEmptyDirs(path.join(dir, e.name)) : e.name === STUDY_DIR_OWNER));
}

/** A study of a store is known by its id and creation time (a recreated store numbers from 1 again). */
const ownsDir = (o: StudyDirOwner, s: StudyRecord) =>
  o.id === s.id && o.createdAt === s.createdAt && o.study === s.name;
/** No study of that name in the store. */
export class NoSuchStudyError extends StudyError {}
/** The study has to run further first (resume it). */
export class StudyUnfinishedError extends StudyError {}
/** Another process or workers hold the study. */
export class StudyBusyError extends StudyError {}

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

interface StudyRow {
  id: number;
  name: string;
  created_at: number;
  strategy: string;
  space: string;
  evaluator: string;
  data: string | null;
  objective_metric: string;
  direction: string;
  constraints: string;
  seed: number;
  config: string;
  /** Schema 3. */
  files_dir?: string | null;
  /** Schema 4: 'store', 'dir' or null (artifacts.ts). */
  files_in?: string | null;
}
interface TrialRow {
  id: number;
  study_id: number;
  number: number;
  state: string;
  arch: string;
  recipe: string | null;
  source: string | null;
  flops: number | null;
  params: number | null;
  latency_us: number | null;
  metrics: string;
  epochs: string;
  started_at: number;
  finished_at: number | null;
  heartbeat_at: number | null;
  worker: string | null;
  error: string | null;
  /** Schema 2 (undefined when a schema-1 store is read without migrating it). */
  searched_recipe?: string | null;
  space?: string | null;
}

function studyOf(r: StudyRow): StudyRecord {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    strategy: r.strategy,
    space: r.space,
    evaluator: r.evaluator,
    data: r.data,
    objective: { metric: r.objective_metric, direction: r.direction as Direction },
    constraints: JSON.parse(r.constraints) as string[],
    seed: r.seed,
    config: JSON.parse(r.config) as Record<string, unknown>,
  };
}

/** NaN and infinities are not JSON: store them as null and read them back as NaN. */
function metricsJson(m: Record<string, number>): string {
  return JSON.stringify(m, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}
function parseMetrics(text: string): Record<string, number> {
  return (text.includes('null') ? JSON.parse(text, (_k, v) => (v === null ? NaN : v)) : JSON.parse(text)) as Record<
    string,
    number
  >;
}

export function trialOf(r: TrialRow): TrialRecord {
  return {
    id: r.id,
    studyId: r.study_id,
    number: r.number,
    state: r.state as TrialState,
    arch: r.arch,
    recipe: r.recipe === null ? null : (JSON.parse(r.recipe) as Record<string, unknown>),
    searchedRecipe: r.searched_recipe == null ? null : (JSON.parse(r.searched_recipe) as Record<string, unknown>),
    space: r.space ?? null,
    source: r.source,
    costs: { flops: r.flops, params: r.params, latencyUs: r.latency_us },
    metrics: parseMetrics(r.metrics),
    epochs: parseMetrics(r.epochs) as unknown as Array<Record<string, number>>,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    heartbeatAt: r.heartbeat_at,
    worker: r.worker,
    error: r.error,
  };
}

/** The better of two values of an objective (NaN never wins). */
export function better(a: number, b: number, direction: Direction): boolean {
  if (!Number.isFinite(a)) return false;
  if (!Number.isFinite(b)) return true;
  return direction === 'maximize' ? a > b : a < b;
}

/** The best complete trial for an objective; ties go to the earlier trial. */
export function bestTrial(trials: readonly TrialRecord[], metric: string, direction: Direction): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    const v = t.metrics[metric];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!best || better(v, best.metrics[metric]!, direction)) best = t;
  }
  return best;
}

export interface NewTrial {
  arch: string;
  /** The recipe the trial is evaluated with (the evaluator's, with the searched fields). */
  recipe?: Record<string, unknown> | null;
  /** The recipe fields the strategy proposed, if it searches recipes. */
  searchedRecipe?: Record<string, unknown> | null;
  /** The space the architecture was drawn from when not the study's own. */
  space?: string | null;
  source?: string | null;
  costs?: Partial<ArchCosts>;
  worker?: string | null;
}

/** The store's statements, by name (SQL both dialects parse). */
const STATEMENTS: Record<string, string> = {
  study: 'SELECT * FROM studies WHERE name = ?',
  studyById: 'SELECT * FROM studies WHERE id = ?',
  trial: 'SELECT * FROM trials WHERE id = ?',
  trials: 'SELECT * FROM trials WHERE study_id = ? ORDER BY number',
  nextNumber: 'SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE study_id = ?',
  insertTrialIfNext: `INSERT INTO trials (study_id, number, state, arch, recipe, searched_recipe, space, source, flops, params, latency_us,
    started_at, heartbeat_at, worker)
    SELECT @study, @number, 'running', @arch, @recipe, @searchedRecipe, @space, @source, @flops, @params, @latencyUs, @now, @now, @worker
    WHERE (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = @study) = @number`,
  insertTrial: `INSERT INTO trials (study_id, number, state, arch, recipe, searched_recipe, space, source, flops, params, latency_us,
    started_at, heartbeat_at, worker)
    VALUES (@study, @number, 'running', @arch, @recipe, @searchedRecipe, @space, @source, @flops, @params, @latencyUs, @now, @now, @worker)`,
  finish: `UPDATE trials SET state = @state, metrics = @metrics, epochs = COALESCE(@epochs, epochs), finished_at = @now,
    heartbeat_at = @now, error = @error WHERE id = @id AND state = 'running'`,
  epochs: "UPDATE trials SET epochs = ?, heartbeat_at = ? WHERE id = ? AND state = 'running'",
  beat: "UPDATE trials SET heartbeat_at = ? WHERE id = ? AND state = 'running'",
  getState: 'SELECT value FROM strategy_state WHERE study_id = ? AND key = ?',
  setState: `INSERT INTO strategy_state (study_id, key, value, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (study_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  addArtifact: 'INSERT INTO artifacts (study_id, trial_id, kind, path, created_at) VALUES (?, ?, ?, ?, ?)',
};

/** In-memory stores opened by this process: each gets studies of its own. */
let memoryStores = 0;

export class StudyStore {
  /** The database the store's SQL runs on (SQLite or PostgreSQL). */
  readonly driver: SqlDriver;
  readonly studiesRoot: string;
  /** Statements by name (a driver prepares each on first use). */
  private readonly sql: Record<string, string>;
  /** The directory each study's files are in, by name (schema 3's files_dir, else under studiesRoot). */
  private readonly filesDirs = new Map<string, string | null>();
  /** Where each study keeps its files, by name (schema 4's files_in: 'store', 'dir', or null as before). */
  private readonly filesIn = new Map<string, string | null>();

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

  private constructor(location: string, o: StoreOptions) {
    const loc = parseStoreLocation(location);
    this.file = loc.kind === 'postgres' ? loc.shown : loc.file;
    this.sql = STATEMENTS;
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

  /** Opens a store: a file path or sqlite:PATH (SQLite), or postgres://user@host:port/db (PostgreSQL). */
  static open(location: string = DEFAULT_STORE, o: StoreOptions = {}): StudyStore {
    return new StudyStore(location, o);
  }

  /** Whether the store is a PostgreSQL database (one many machines share). */
  get shared(): boolean {
    return this.driver.dialect === 'postgres';
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

  // ---- studies --------------------------------------------------------------------------

  createStudy(init: StudyInit): StudyRecord {
    if (!STUDY_NAME_PATTERN.test(init.name)) {
      throw new Error(
        `invalid study name '${init.name}': letters, digits, '.', '_' and '-' (it names a directory too), at most 100 characters`,
      );
    }
    // A new study starts with a directory of its own: one left by another study is refused.
    const files = this.filesOf(init);
    if (!this.getStudy(init.name)) {
      const dir = files.dir ?? path.join(this.studiesRoot, init.name);
      const owner = readStudyDirOwner(dir);
      if (owner) throw this.dirTakenError(init.name, dir, owner);
      if (fs.existsSync(dir) && fs.readdirSync(dir).length) throw this.dirTakenError(init.name, dir, 'unknown');
    }
    const exists = (existing: StudyRecord) =>
      new StudyExistsError(
        `study '${init.name}' already exists in ${this.file} (${existing.strategy} on ${existing.space}, created ${new Date(existing.createdAt).toISOString()})`,
        { hint: 'resume it, or choose another `study` name', study: init.name, store: this.file },
      );
    try {
      const made = this.driver.transaction(() => {
        const existing = this.getStudy(init.name);
        if (existing) throw exists(existing);
        const id = this.driver.insert(
          `INSERT INTO studies (name, created_at, strategy, space, evaluator, data, objective_metric, direction, constraints, seed, config, files_dir, files_in)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            init.name,
            Date.now(),
            init.strategy,
            init.space,
            init.evaluator,
            init.data,
            init.objective.metric,
            init.objective.direction,
            JSON.stringify(init.constraints),
            init.seed,
            JSON.stringify(init.config),
            files.dir,
            files.in,
          ],
        );
        return this.studyById(id);
      });
      // A folder the study names is made now, with the study's note: a worker that finds no note
      // there later is on a machine that does not mount it, and says so (studyDir).
      if (files.in === 'dir') this.studyDir(made.name, true, true);
      return made;
    } catch (err) {
      // Two processes creating the study at once on PostgreSQL: the second's insert meets the
      // first's row (unique_violation) and gets the same error as one that came later.
      if ((err as { code?: unknown }).code === '23505') {
        const existing = this.getStudy(init.name);
        if (existing) throw exists(existing);
      }
      throw err;
    }
  }

  /**
   * Where a new study keeps its files: in the store (the default on PostgreSQL, whose workers may
   * share nothing else; a worker's study directory is then a cache), in a folder it names (an
   * absolute path every worker mounts), or, on SQLite by default, beside the store as before.
   */
  private filesOf(init: StudyInit): { in: 'store' | 'dir' | null; dir: string | null } {
    const f = init.files ?? (this.shared ? 'store' : null);
    if (f === null) return { in: null, dir: null };
    if (f === 'beside') {
      if (!this.shared) return { in: null, dir: null };
      throw new Error(
        `study '${init.name}': a PostgreSQL store (${this.file}) has no 'beside' for its files: keep them in the store (\`files\` store) or in a folder every worker mounts (\`files\` DIR)`,
      );
    }
    if (f === 'store') return { in: 'store', dir: null };
    if (!path.isAbsolute(f))
      throw new Error(
        `study '${init.name}': the folder of its files must be an absolute path every worker mounts at the same place, not ${f}`,
      );
    return { in: 'dir', dir: path.join(f, init.name) };
  }

  private remember(r: StudyRow): StudyRecord {
    this.filesDirs.set(r.name, r.files_dir ?? null);
    this.filesIn.set(r.name, r.files_in ?? null);
    return studyOf(r);
  }

  getStudy(name: string): StudyRecord | undefined {
    const r = this.driver.get<StudyRow>(this.sql.study!, [name]);
    return r && this.remember(r);
  }

  studyById(id: number): StudyRecord {
    const r = this.driver.get<StudyRow>(this.sql.studyById!, [id]);
    if (!r) throw new NoSuchStudyError(`no study with id ${id} in ${this.file}`);
    return this.remember(r);
  }

  /** The study, or an error listing the studies there are. */
  requireStudy(name: string): StudyRecord {
    const s = this.getStudy(name);
    if (s) return s;
    const names = this.studies().map((x) => x.name);
    throw new NoSuchStudyError(
      `no study '${name}' in ${this.file} (${names.length ? `studies: ${names.join(', ')}` : 'it has no studies yet'})`,
      { hint: `a search with \`study\` ${name} starts it`, study: name, store: this.file },
    );
  }

  studies(): StudyRecord[] {
    return this.driver.all<StudyRow>('SELECT * FROM studies ORDER BY created_at, id').map((r) => this.remember(r));
  }

  /** Replaces a study's stored configuration (e.g. a resume that raises the trial target). */
  updateStudyConfig(studyId: number, config: Record<string, unknown>): void {
    this.driver.run('UPDATE studies SET config = ? WHERE id = ?', [JSON.stringify(config), studyId]);
  }

  /**
   * Removes a study that recorded nothing (no trial, no strategy state, no artifact file that
   * exists), e.g. one a failed command created, and its directory when nothing but the note is in
   * it; returns whether it did. A study with anything recorded stays (resume it).
   */
  removeUnusedStudy(name: string): boolean {
    const s = this.getStudy(name);
    if (!s) return false;
    const used =
      this.trials(s.id).length > 0 ||
      this.stateKeys(s.id).length > 0 ||
      this.files(name).list().length > 0 ||
      this.artifacts(s.id).some((a) => fs.existsSync(this.artifactPath(a)));
    if (used) return false;
    const dir = this.studyDir(name, false);
    this.driver.transaction(() => {
      for (const table of [
        'artifacts',
        'artifact_files',
        'strategy_state',
        'workers',
        'study_workers',
        'trial_queue',
        'study_phases',
      ])
        this.driver.run(`DELETE FROM ${table} WHERE study_id = ?`, [s.id]);
      this.driver.run('DELETE FROM studies WHERE id = ?', [s.id]);
    });
    const owner = readStudyDirOwner(dir);
    if (owner && ownsDir(owner, s) && onlyNoteAndEmptyDirs(dir)) fs.rmSync(dir, { recursive: true, force: true });
    return true;
  }

  summary(study: StudyRecord): StudySummary {
    const trials = this.trials(study.id);
    const counts: Record<TrialState, number> = { running: 0, complete: 0, failed: 0, pruned: 0 };
    let interrupted = 0;
    for (const t of trials) {
      counts[t.state]++;
      if (isInterrupted(t)) interrupted++;
    }
    return { study, counts, interrupted, best: bestTrial(trials, study.objective.metric, study.objective.direction) };
  }

  /**
   * The directory of a study's artifacts, created on demand with a note of whose it is (this
   * store's study of that name). Two stores in one directory would share studies/<name>: a
   * directory noted as another study's is refused (StudyDirError), never shared. A study that
   * names its directory (a PostgreSQL store's) uses that one.
   */
  studyDir(name: string, create = true, creating = false): string {
    if (!this.filesDirs.has(name)) this.getStudy(name);
    // A study whose files are in the store: this machine's cache of them (studiesRoot/<name>).
    const named = this.filesIn.get(name) === 'store' ? null : this.filesDirs.get(name);
    const dir = named ?? path.join(this.studiesRoot, name);
    if (!create) return dir;
    const study = this.getStudy(name);
    const owner = readStudyDirOwner(dir);
    if (study && owner && !ownsDir(owner, study)) throw this.dirTakenError(name, dir, owner);
    // The folder a study names is every worker's: one missing here is not made (the files the
    // other workers wrote would be missing from it), it is said.
    if (study && named && !owner && !creating && (this.filesIn.get(name) === 'dir' || this.artifacts(study.id).length))
      throw new ArtifactMissingError(
        `study '${name}' of ${this.file} keeps its files in ${dir} (recorded when it was created), and this machine ` +
          `${fs.existsSync(dir) ? "has that directory without the study's note (" + STUDY_DIR_OWNER + ')' : 'has no such directory'}: ` +
          'mount the folder every worker shares at that path, then start the worker again (nothing was started over)',
      );
    makeDirs(dir);
    // A directory without a note is adopted: studies made before notes existed.
    if (study && !owner) {
      const note: StudyDirOwner = {
        about: 'the files of this study of this store; tsnas refuses to share them with a study of another store',
        store: this.shared ? this.file : path.resolve(this.file),
        study: study.name,
        id: study.id,
        createdAt: study.createdAt,
      };
      const file = path.join(dir, STUDY_DIR_OWNER);
      fs.writeFileSync(`${file}.tmp-${process.pid}`, `${JSON.stringify(note, null, 1)}\n`);
      fs.renameSync(`${file}.tmp-${process.pid}`, file);
    }
    return dir;
  }

  private dirTakenError(name: string, dir: string, owner: StudyDirOwner | 'unknown'): StudyDirError {
    const me = this.shared ? this.file : path.resolve(this.file);
    const whose =
      owner === 'unknown'
        ? 'files of unknown origin (an earlier study of that name, of a store since removed?)'
        : owner.store === me
          ? `the files of an earlier study '${owner.study}' of this store that it no longer has (created ${new Date(owner.createdAt).toISOString()}; the store was replaced?)`
          : `the files of study '${owner.study}' of store ${owner.store} (created ${new Date(owner.createdAt).toISOString()})`;
    return new StudyDirError(
      `study '${name}' of ${this.file} cannot use ${dir}: it holds ${whose}, and a study's files are its own; ` +
        'choose another `study` name, or keep this store in a directory of its own (another `store` path)' +
        (owner === 'unknown' || owner.store === me ? `, or remove ${dir}` : ''),
    );
  }

  // ---- trials ---------------------------------------------------------------------------

  /** Creates a running trial with the next number of the study. */
  createTrial(studyId: number, t: NewTrial): TrialRecord {
    return this.driver.transaction(() => {
      // Workers creating trials of one study at once take numbers one after the other.
      this.driver.lockStudy(studyId);
      const number = this.driver.get<{ n: number }>(this.sql.nextNumber!, [studyId])!.n;
      return this.trial(this.driver.insert(this.sql.insertTrial!, this.trialParams(studyId, number, t)));
    });
  }

  /**
   * Creates a running trial numbered `number` if that is still the study's next number, else
   * nothing (null): another worker created a trial since this one read the study, so what it
   * asked for may repeat that trial; it reads the study again and asks again.
   */
  createTrialIfNext(studyId: number, number: number, t: NewTrial): TrialRecord | null {
    // One statement, atomic by itself: the insert happens only while `number` is the next one,
    // and of two workers inserting the same number at once the unique (study, number) index lets
    // one through (PostgreSQL: the other gets unique_violation). No lock is held while workers ask.
    let changes: number;
    try {
      changes = this.driver.run(this.sql.insertTrialIfNext!, this.trialParams(studyId, number, t)).changes;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return null;
      throw err;
    }
    const made = this.trialByNumber(studyId, number);
    if (changes === 1) return made ?? null;
    // This worker's own insert, run again because the answer to it was lost with the connection:
    // the trial is there, its own.
    return made && t.worker != null && made.worker === t.worker && made.arch === t.arch && made.state === 'running'
      ? made
      : null;
  }

  private trialParams(studyId: number, number: number, t: NewTrial): Record<string, unknown> {
    return {
      study: studyId,
      number,
      arch: t.arch,
      recipe: t.recipe == null ? null : JSON.stringify(t.recipe),
      searchedRecipe: t.searchedRecipe == null ? null : JSON.stringify(t.searchedRecipe),
      space: t.space ?? null,
      source: t.source ?? null,
      flops: t.costs?.flops ?? null,
      params: t.costs?.params ?? null,
      latencyUs: t.costs?.latencyUs ?? null,
      now: Date.now(),
      worker: t.worker ?? null,
    };
  }

  trial(id: number): TrialRecord {
    const r = this.driver.get<TrialRow>(this.sql.trial!, [id]);
    if (!r) throw new Error(`no trial with id ${id} in ${this.file}`);
    return trialOf(r);
  }

  trialByNumber(studyId: number, number: number): TrialRecord | undefined {
    const r = this.driver.get<TrialRow>('SELECT * FROM trials WHERE study_id = ? AND number = ?', [studyId, number]);
    return r && trialOf(r);
  }

  /** Every trial of a study in number order (optionally only some states). */
  trials(studyId: number, states?: readonly TrialState[]): TrialRecord[] {
    if (!states) return this.driver.all<TrialRow>(this.sql.trials!, [studyId]).map(trialOf);
    const rows = this.driver.all<TrialRow>(
      `SELECT * FROM trials WHERE study_id = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY number`,
      [studyId, ...states],
    );
    return rows.map(trialOf);
  }

  private finish(
    id: number,
    state: Exclude<TrialState, 'running'>,
    metrics: Record<string, number>,
    epochs: Array<Record<string, number>> | undefined,
    error: string | null,
  ): TrialRecord {
    const metricsText = metricsJson(metrics);
    const r = this.driver.run(this.sql.finish!, {
      id,
      state,
      metrics: metricsText,
      epochs: epochs === undefined ? null : metricsJson(epochs as never),
      now: Date.now(),
      error,
    });
    if (r.changes !== 1) {
      const t = this.trial(id);
      // The same finish again (a PostgreSQL transaction redone after its connection was lost
      // while it committed): it is recorded once, and that record is the answer.
      if (t.state === state && t.error === error && metricsJson(t.metrics) === metricsText) return t;
      throw new Error(
        `trial ${t.number} is ${t.state}, not running: it cannot be finished again (finished trials never change)`,
      );
    }
    return this.trial(id);
  }

  completeTrial(id: number, metrics: Record<string, number>, epochs?: Array<Record<string, number>>): TrialRecord {
    return this.finish(id, 'complete', metrics, epochs, null);
  }

  failTrial(
    id: number,
    error: string,
    o: { metrics?: Record<string, number>; epochs?: Array<Record<string, number>>; state?: 'failed' | 'pruned' } = {},
  ): TrialRecord {
    return this.finish(id, o.state ?? 'failed', o.metrics ?? {}, o.epochs, error);
  }

  /** Records a running trial's finished epochs so far (and beats its heart). */
  recordEpochs(id: number, epochs: Array<Record<string, number>>): void {
    this.driver.run(this.sql.epochs!, [metricsJson(epochs as never), Date.now(), id]);
  }

  heartbeat(id: number): void {
    this.driver.run(this.sql.beat!, [Date.now(), id]);
  }

  /**
   * Fails every running trial of the study not run by `except` (call it holding the study's
   * lease: then no other live process runs trials of it) with 'interrupted (process ended)'.
   */
  failStaleTrials(studyId: number, except: string | null = null, error = INTERRUPTED_ERROR): TrialRecord[] {
    return this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      const stale = this.trials(studyId, ['running']).filter((t) => t.worker !== except || except === null);
      for (const t of stale) this.finish(t.id, 'failed', t.metrics, undefined, error);
      return stale.map((t) => this.trial(t.id));
    });
  }

  /**
   * Many workers on one study: fails the running trials whose worker is gone (a process of this
   * host that ended, or a heartbeat older than staleMs) as interrupted, and queues each one's
   * architecture again, so that the next worker free continues it (from its checkpoint, for a
   * training evaluator). Optuna's fail_stale_trials with a retry callback.
   */
  failDeadWorkersTrials(studyId: number, staleMs: number, now = Date.now()): TrialRecord[] {
    // A look without a transaction first: almost always every worker is alive.
    if (this.trials(studyId, ['running']).every((t) => trialWorkerAlive(t, staleMs, now))) return [];
    return this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      const dead = this.trials(studyId, ['running']).filter((t) => !trialWorkerAlive(t, staleMs, now));
      for (const t of dead) {
        this.finish(t.id, 'failed', t.metrics, undefined, INTERRUPTED_ERROR);
        this.enqueueTrial(studyId, t, `trial ${t.number} interrupted`);
      }
      return dead.map((t) => this.trial(t.id));
    });
  }

  // ---- queued trials --------------------------------------------------------------------

  /** Queues an architecture (with its searched recipe and space) for the next worker free. */
  enqueueTrial(
    studyId: number,
    t: Pick<NewTrial, 'arch' | 'searchedRecipe' | 'space' | 'source'> & { stopAfterEpochs?: number | null },
    reason: string,
  ): number {
    return this.driver.insert(
      `INSERT INTO trial_queue (study_id, arch, searched_recipe, space, source, stop_after_epochs, reason, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        studyId,
        t.arch,
        t.searchedRecipe == null ? null : JSON.stringify(t.searchedRecipe),
        t.space ?? null,
        t.source ?? null,
        t.stopAfterEpochs ?? null,
        reason,
        Date.now(),
      ],
    );
  }

  /** Queued trials not taken yet, oldest first. */
  queuedTrials(studyId: number): QueuedTrial[] {
    return this.driver
      .all<QueueRow>('SELECT * FROM trial_queue WHERE study_id = ? AND trial_id IS NULL ORDER BY id', [studyId])
      .map(queuedOf);
  }

  /**
   * Takes the oldest queued trial for one worker: the running trial `make` creates for it is
   * recorded as the entry's in the same transaction, so an entry is taken exactly once (on
   * PostgreSQL the row is locked, and rows other workers hold are skipped: SKIP LOCKED).
   */
  takeQueuedTrial(
    studyId: number,
    make: (q: QueuedTrial) => NewTrial,
  ): { queued: QueuedTrial; trial: TrialRecord } | null {
    // A look without a transaction first: the queue is almost always empty.
    if (!this.driver.get('SELECT id FROM trial_queue WHERE study_id = ? AND trial_id IS NULL LIMIT 1', [studyId]))
      return null;
    return this.driver.transaction(() => {
      const lock = this.shared ? ' FOR UPDATE SKIP LOCKED' : '';
      const row = this.driver.get<QueueRow>(
        `SELECT * FROM trial_queue WHERE study_id = ? AND trial_id IS NULL ORDER BY id LIMIT 1${lock}`,
        [studyId],
      );
      if (!row) return null;
      const queued = queuedOf(row);
      const trial = this.createTrial(studyId, make(queued));
      this.driver.run('UPDATE trial_queue SET trial_id = ? WHERE id = ?', [trial.id, queued.id]);
      return { queued, trial };
    });
  }

  // ---- the worker lease -----------------------------------------------------------------

  /** Live workers sharing a study (schema 3's study_workers). */
  sharingWorkers(studyId: number): Array<{ worker: string; pid: number; host: string; since: number }> {
    return this.driver
      .all<{ worker: string; pid: number; host: string; started_at: number; heartbeat_at: number }>(
        'SELECT * FROM study_workers WHERE study_id = ? ORDER BY started_at',
        [studyId],
      )
      .filter((w) => workerAlive(w.host, w.pid, w.heartbeat_at))
      .map((w) => ({ worker: w.worker, pid: w.pid, host: w.host, since: w.started_at }));
  }

  /**
   * Takes the study for this process. Throws StudyBusyError while another live process holds it
   * (same host: its pid is alive; another host: it beat within the last minutes), or while workers
   * share it.
   */
  acquireLease(studyId: number, me: WorkerId): void {
    this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      this.refuseIfLeased(studyId, me);
      const sharing = this.sharingWorkers(studyId).filter((w) => w.worker !== me.id);
      if (sharing.length) {
        const s = this.studyById(studyId);
        throw new StudyBusyError(
          `study '${s.name}' is being searched by ${sharing.length} worker(s) (${sharing.map((w) => `process ${w.pid} on ${w.host}`).join(', ')})`,
          {
            hint: 'wait for them to finish or stop them, or add one more worker to it',
            study: s.name,
            store: this.file,
          },
        );
      }
      const now = Date.now();
      this.driver.run(
        `INSERT INTO workers (study_id, worker, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (study_id) DO UPDATE SET worker = excluded.worker, pid = excluded.pid, host = excluded.host,
        started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
        [studyId, me.id, me.pid, me.host, now, now],
      );
    });
  }

  private refuseIfLeased(studyId: number, me: WorkerId): void {
    const cur = this.driver.get<{
      worker: string;
      pid: number;
      host: string;
      started_at: number;
      heartbeat_at: number;
    }>('SELECT * FROM workers WHERE study_id = ?', [studyId]);
    if (cur && cur.worker !== me.id && workerAlive(cur.host, cur.pid, cur.heartbeat_at)) {
      const s = this.studyById(studyId);
      throw new StudyBusyError(
        `study '${s.name}' is being searched by process ${cur.pid} on ${cur.host} (since ${new Date(cur.started_at).toISOString()}); ` +
          'wait for it to finish or stop it, then resume',
      );
    }
  }

  /** Joins the workers sharing a study (refused while a single search process holds its lease). */
  joinStudy(studyId: number, me: WorkerId): void {
    this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      this.refuseIfLeased(studyId, me);
      const now = Date.now();
      this.driver.run(
        `INSERT INTO study_workers (worker, study_id, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (worker) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        [me.id, studyId, me.pid, me.host, now, now],
      );
    });
  }

  leaveStudy(me: WorkerId): void {
    if (this.driver.open) this.driver.run('DELETE FROM study_workers WHERE worker = ?', [me.id]);
  }

  beatLease(studyId: number, me: WorkerId): void {
    const now = Date.now();
    this.driver.run('UPDATE workers SET heartbeat_at = ? WHERE study_id = ? AND worker = ?', [now, studyId, me.id]);
    this.driver.run('UPDATE study_workers SET heartbeat_at = ? WHERE worker = ?', [now, me.id]);
  }

  releaseLease(studyId: number, me: WorkerId): void {
    if (this.driver.open) this.driver.run('DELETE FROM workers WHERE study_id = ? AND worker = ?', [studyId, me.id]);
  }

  /** The live process searching a study, if any (a single search's, else the first sharing worker's). */
  activeWorker(studyId: number): { pid: number; host: string; since: number } | null {
    const cur = this.driver.get<{ pid: number; host: string; started_at: number; heartbeat_at: number }>(
      'SELECT * FROM workers WHERE study_id = ?',
      [studyId],
    );
    if (cur && workerAlive(cur.host, cur.pid, cur.heartbeat_at))
      return { pid: cur.pid, host: cur.host, since: cur.started_at };
    const sharing = this.sharingWorkers(studyId)[0];
    return sharing ? { pid: sharing.pid, host: sharing.host, since: sharing.since } : null;
  }

  // ---- one-off phases -------------------------------------------------------------------

  /**
   * Claims a one-off phase of a study (a strategy's prepare: a supernet's training) for one
   * worker: 'mine' (run it, then finishPhase), 'done' (another worker ran it), or 'busy' (another
   * live worker is running it: wait). A claimer whose heartbeat lapsed loses it to the next asker.
   */
  claimPhase(studyId: number, name: string, me: WorkerId, staleMs: number): 'mine' | 'done' | 'busy' {
    return this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      const now = Date.now();
      const cur = this.driver.get<{ state: string; worker: string; heartbeat_at: number }>(
        'SELECT state, worker, heartbeat_at FROM study_phases WHERE study_id = ? AND name = ?',
        [studyId, name],
      );
      if (cur?.state === 'done') return 'done';
      if (cur && cur.worker !== me.id) {
        const w = parseWorker(cur.worker);
        const alive =
          w && w.host === os.hostname()
            ? pidAlive(w.pid) && now - cur.heartbeat_at < staleMs
            : now - cur.heartbeat_at < staleMs;
        if (alive) return 'busy';
      }
      this.driver.run(
        `INSERT INTO study_phases (study_id, name, state, worker, heartbeat_at) VALUES (?, ?, 'running', ?, ?)
        ON CONFLICT (study_id, name) DO UPDATE SET worker = excluded.worker, heartbeat_at = excluded.heartbeat_at`,
        [studyId, name, me.id, now],
      );
      return 'mine';
    });
  }

  beatPhase(studyId: number, name: string, me: WorkerId): void {
    this.driver.run('UPDATE study_phases SET heartbeat_at = ? WHERE study_id = ? AND name = ? AND worker = ?', [
      Date.now(),
      studyId,
      name,
      me.id,
    ]);
  }

  /** Gives a claimed phase up unfinished, so that the next claim gets it (a lock: the workers' ask lock). */
  releasePhase(studyId: number, name: string, me: WorkerId): void {
    if (this.driver.open)
      this.driver.run('DELETE FROM study_phases WHERE study_id = ? AND name = ? AND worker = ?', [
        studyId,
        name,
        me.id,
      ]);
  }

  finishPhase(studyId: number, name: string, me: WorkerId): void {
    this.driver.run(
      "UPDATE study_phases SET state = 'done', heartbeat_at = ? WHERE study_id = ? AND name = ? AND worker = ?",
      [Date.now(), studyId, name, me.id],
    );
  }

  // ---- strategy state (key -> JSON) -----------------------------------------------------

  getState<T>(studyId: number, key: StateKey<T>): T | undefined {
    const r = this.driver.get<{ value: string }>(this.sql.getState!, [studyId, key.name]);
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setState<T>(studyId: number, key: StateKey<T>, value: T): void {
    this.driver.run(this.sql.setState!, [studyId, key.name, JSON.stringify(value), Date.now()]);
  }

  stateKeys(studyId: number): Array<{ key: string; updatedAt: number }> {
    return this.driver
      .all<{ key: string; updated_at: number }>(
        'SELECT key, updated_at FROM strategy_state WHERE study_id = ? ORDER BY key',
        [studyId],
      )
      .map((r) => ({ key: r.key, updatedAt: r.updated_at }));
  }

  // ---- artifacts ------------------------------------------------------------------------

  /** A study's files where it keeps them: the store's artifact_files (artifacts.ts), or its directory. */
  files(name: string, worker: string | null = null): StudyFiles {
    const study = this.requireStudy(name);
    return new StudyFiles({
      driver: this.driver,
      store: this.file,
      studyId: study.id,
      study: name,
      dir: this.studyDir(name, false),
      inStore: this.filesIn.get(name) === 'store',
      worker,
    });
  }

  /** References a file of the study (paths inside the study directory are stored relative to it). */
  addArtifact(studyId: number, trialId: number | null, kind: string, file: string): ArtifactRecord {
    const dir = this.studyDir(this.studyById(studyId).name, false);
    const rel = path.relative(dir, path.resolve(file));
    const stored = rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel;
    const now = Date.now();
    const id = this.driver.insert(this.sql.addArtifact!, [studyId, trialId, kind, stored, now]);
    return { id, studyId, trialId, kind, path: stored, createdAt: now };
  }

  artifacts(studyId: number, o: { trialId?: number; kind?: string } = {}): ArtifactRecord[] {
    const rows = this.driver.all<{
      id: number;
      study_id: number;
      trial_id: number | null;
      kind: string;
      path: string;
      created_at: number;
    }>('SELECT * FROM artifacts WHERE study_id = ? ORDER BY id', [studyId]);
    return rows
      .filter(
        (r) => (o.trialId === undefined || r.trial_id === o.trialId) && (o.kind === undefined || r.kind === o.kind),
      )
      .map((r) => ({
        id: r.id,
        studyId: r.study_id,
        trialId: r.trial_id,
        kind: r.kind,
        path: r.path,
        createdAt: r.created_at,
      }));
  }

  /** The absolute path of an artifact. */
  artifactPath(a: ArtifactRecord): string {
    return path.isAbsolute(a.path) ? a.path : path.join(this.studyDir(this.studyById(a.studyId).name, false), a.path);
  }
}

/** A queued trial: an architecture waiting for a worker. */
export interface QueuedTrial {
  id: number;
  studyId: number;
  arch: string;
  searchedRecipe: Record<string, unknown> | null;
  space: string | null;
  source: string | null;
  stopAfterEpochs: number | null;
  reason: string;
  createdAt: number;
  /** The trial that took it (null while waiting). */
  trialId: number | null;
}
interface QueueRow {
  id: number;
  study_id: number;
  arch: string;
  searched_recipe: string | null;
  space: string | null;
  source: string | null;
  stop_after_epochs: number | null;
  reason: string;
  created_at: number;
  trial_id: number | null;
}
const queuedOf = (r: QueueRow): QueuedTrial => ({
  id: r.id,
  studyId: r.study_id,
  arch: r.arch,
  searchedRecipe: r.searched_recipe === null ? null : (JSON.parse(r.searched_recipe) as Record<string, unknown>),
  space: r.space,
  source: r.source,
  stopAfterEpochs: r.stop_after_epochs,
  reason: r.reason,
  createdAt: r.created_at,
  trialId: r.trial_id,
});

/** Whether the worker running a trial is alive: a process of this host that exists, else a recent heartbeat. */
export function trialWorkerAlive(t: TrialRecord, staleMs: number, now: number): boolean {
  const w = t.worker === null ? null : parseWorker(t.worker);
  const beat = t.heartbeatAt ?? t.startedAt;
  if (w && w.host === os.hostname()) return (w.pid === process.pid || pidAlive(w.pid)) && now - beat < staleMs;
  return now - beat < staleMs;
}
