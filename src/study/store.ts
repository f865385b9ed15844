// The study store: one SQLite file (better-sqlite3, WAL, busy timeout) holding studies, trials,
// strategy state and artifact references; large artifacts live as files in a per-study
// directory beside the database (<dir of db>/studies/<study>/). Every write is one short
// transaction, so a process killed at any moment leaves either the old row or the new one.
// Resuming a study is reopening the store (Optuna's storage model).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { ArchCosts } from '../cost/costModel';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';
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
import { workerAlive, type WorkerId } from './worker';

export const DEFAULT_STORE = path.join('runs', 'tsnas.db');

/** Study names double as directory names. */
export const STUDY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export class StudyExistsError extends Error {}
/** A study store that cannot be opened, read or written: names the file and says what to do. */
export class StoreError extends Error {}

/**
 * An error of SQLite about a store, as one that names the file, says what is wrong in words, and
 * what to do (SQLite's own words kept in parentheses). Other errors are returned unchanged.
 */
export function explainStoreError(file: string, err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const said = `(SQLite: ${err.message}, ${code})`;
  const dir = path.dirname(path.resolve(file));
  let what: string;
  if (code === 'SQLITE_NOTADB')
    what =
      `${file} is not a study store: it is not an SQLite database ${said}; give the file a search wrote ` +
      '(--store FILE), or a path that does not exist yet to start a new store';
  else if (code.startsWith('SQLITE_READONLY'))
    what =
      `cannot write the study store ${file}: the file or its directory ${dir} is read-only ${said}; a search writes ` +
      `the store and files beside it: give a writable --store path, or make it writable. Reading works read-only: npx tsnas study list --store ${file}`;
  else if (code === 'SQLITE_FULL')
    what = `the disk holding the study store ${file} is full ${said}; free some space, then resume (finished trials are kept)`;
  else if (code.startsWith('SQLITE_IOERR'))
    what =
      `disk I/O error on the study store ${file} ${said}: the disk may be full or failing, or the file on a network ` +
      'filesystem without working locks; check the disk, or copy the store (with its studies/ directory) to a local disk';
  else if (code.startsWith('SQLITE_CORRUPT'))
    what = `the study store ${file} is damaged ${said}; restore it from a copy, or start a new store (--store NEW)`;
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    what = `the study store ${file} stayed locked by another process ${said}; wait for it to finish, then retry`;
  else if (code.startsWith('SQLITE_CANTOPEN'))
    what = `cannot open the study store ${file} ${said}: check that ${dir} exists and can be read (and written, for a search)`;
  else what = `study store ${file}: ${err.message} (${code})`;
  return new StoreError(what, { cause: err });
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
export class NoSuchStudyError extends Error {}
export class StudyBusyError extends Error {}

export interface StoreOptions {
  /** Where per-study directories go (default: <dir of the db>/studies; a temp dir per store for ':memory:'). */
  studiesRoot?: string;
  /** 'full' syncs the WAL at every commit (survives power loss); 'normal' survives process crashes only. */
  durability?: 'full' | 'normal';
  readonly?: boolean;
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

/** In-memory stores opened by this process: each gets studies of its own. */
let memoryStores = 0;

export class StudyStore {
  readonly db: Database.Database;
  readonly studiesRoot: string;
  /** Statements by name, prepared on first use (a read-only store of an older schema never prepares the writes). */
  private readonly sql: Record<string, string>;
  private readonly prepared = new Map<string, Database.Statement>();

  /** A copy read in place of a store in a directory SQLite may not write to (read-only opens only). */
  private readonly copyDir: string | null = null;
  /** An in-memory store's temp directory of study files, removed when it closes. */
  private readonly ownTempStudies: boolean;

  private constructor(
    readonly file: string,
    o: StoreOptions,
  ) {
    const memory = file === ':memory:';
    if (!memory) {
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (stat?.isDirectory())
        throw new StoreError(
          `${file} is a directory, not a study store: give the store's file (e.g. --store ${path.join(file, 'tsnas.db')})`,
        );
      if (o.readonly && !stat)
        throw new StoreError(
          `no study store at ${file} (run a search first: npx tsnas search <strategy> ... --store ${file})`,
        );
      if (!o.readonly) {
        const dir = path.dirname(path.resolve(file));
        try {
          fs.mkdirSync(dir, { recursive: true });
        } catch (err) {
          throw new StoreError(
            `cannot create the directory of the study store ${file} (${(err as Error).message}); give a --store path in a writable directory`,
            { cause: err },
          );
        }
      }
    }
    this.ownTempStudies = memory && !o.studiesRoot;
    this.studiesRoot =
      o.studiesRoot ??
      (memory
        ? path.join(os.tmpdir(), `tsnas-studies-${process.pid}-${++memoryStores}`)
        : path.join(path.dirname(path.resolve(file)), 'studies'));
    let db: Database.Database;
    try {
      try {
        db = this.openDatabase(file, o);
      } catch (err) {
        // A store (WAL mode) in a directory this process may not write: SQLite cannot create the
        // shared-memory file it reads through, so read a private copy (the store and its WAL).
        if (!o.readonly || memory || !cannotReadInPlace(err)) throw err;
        const copyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-readonly-store-'));
        this.copyDir = copyDir;
        const copy = path.join(copyDir, path.basename(file));
        fs.copyFileSync(file, copy);
        if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
        db = this.openDatabase(copy, o);
      }
    } catch (err) {
      if (this.copyDir) fs.rmSync(this.copyDir, { recursive: true, force: true });
      throw explainStoreError(file, err);
    }
    this.db = db;
    this.sql = {
      study: 'SELECT * FROM studies WHERE name = ?',
      studyById: 'SELECT * FROM studies WHERE id = ?',
      trial: 'SELECT * FROM trials WHERE id = ?',
      trials: 'SELECT * FROM trials WHERE study_id = ? ORDER BY number',
      nextNumber: 'SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE study_id = ?',
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
  }

  /**
   * Opens the database with the store's settings and schema (migrated when writing); throws
   * SQLite's errors. Reading opens a connection that may not write (query_only) rather than a
   * read-only one: a read-only connection to a WAL store leaves its -wal and -shm files behind,
   * while this one removes them when it closes, so reading a store leaves its directory as it was.
   */
  private openDatabase(file: string, o: StoreOptions): Database.Database {
    const db = new Database(file, { fileMustExist: !!o.readonly });
    try {
      db.pragma('busy_timeout = 10000');
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

  private stmt(name: string): Database.Statement {
    let st = this.prepared.get(name);
    if (!st) {
      st = this.db.prepare(this.sql[name]!);
      this.prepared.set(name, st);
    }
    return st;
  }

  static open(file: string = DEFAULT_STORE, o: StoreOptions = {}): StudyStore {
    return new StudyStore(file, o);
  }

  close(): void {
    if (this.db.open) this.db.close();
    if (this.copyDir) fs.rmSync(this.copyDir, { recursive: true, force: true });
    // An in-memory store's study files go with it (its own temp directory, unless one was given).
    if (this.ownTempStudies) fs.rmSync(this.studiesRoot, { recursive: true, force: true });
  }

  private migrate(db: Database.Database, readonly: boolean): void {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${this.file} was written by a newer tsnas (store schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade tsnas to open it`,
      );
    }
    if (version === SCHEMA_VERSION) return;
    if (readonly) {
      // Reading needs no migration: rows of an older schema read with the newer columns' defaults.
      if (version === 0)
        throw new Error(
          `${this.file} holds no study store (no tsnas schema); give the store a search wrote (--store FILE)`,
        );
      return;
    }
    db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  // ---- studies --------------------------------------------------------------------------

  createStudy(init: StudyInit): StudyRecord {
    if (!STUDY_NAME_PATTERN.test(init.name)) {
      throw new Error(
        `invalid study name '${init.name}': letters, digits, '.', '_' and '-' (it names a directory too), at most 100 characters`,
      );
    }
    // A new study starts with a directory of its own: one left by another study is refused.
    if (!this.getStudy(init.name)) {
      const dir = path.join(this.studiesRoot, init.name);
      const owner = readStudyDirOwner(dir);
      if (owner) throw this.dirTakenError(init.name, dir, owner);
      if (fs.existsSync(dir) && fs.readdirSync(dir).length) throw this.dirTakenError(init.name, dir, 'unknown');
    }
    return this.db
      .transaction(() => {
        const existing = this.getStudy(init.name);
        if (existing) {
          throw new StudyExistsError(
            `study '${init.name}' already exists in ${this.file} (${existing.strategy} on ${existing.space}, created ${new Date(existing.createdAt).toISOString()}); ` +
              `continue it with: npx tsnas search --resume ${init.name} --store ${this.file}   or choose another --study name`,
          );
        }
        const r = this.db
          .prepare(
            `INSERT INTO studies (name, created_at, strategy, space, evaluator, data, objective_metric, direction, constraints, seed, config)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
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
          );
        return this.studyById(Number(r.lastInsertRowid));
      })
      .immediate();
  }

  getStudy(name: string): StudyRecord | undefined {
    const r = this.stmt('study').get(name) as StudyRow | undefined;
    return r && studyOf(r);
  }

  studyById(id: number): StudyRecord {
    const r = this.stmt('studyById').get(id) as StudyRow | undefined;
    if (!r) throw new NoSuchStudyError(`no study with id ${id} in ${this.file}`);
    return studyOf(r);
  }

  /** The study, or an error listing the studies there are. */
  requireStudy(name: string): StudyRecord {
    const s = this.getStudy(name);
    if (s) return s;
    const names = this.studies().map((x) => x.name);
    throw new NoSuchStudyError(
      `no study '${name}' in ${this.file} (${names.length ? `studies: ${names.join(', ')}` : 'it has no studies yet'}); ` +
        `start one with: npx tsnas search <strategy> --study ${name} --store ${this.file} ...`,
    );
  }

  studies(): StudyRecord[] {
    return (this.db.prepare('SELECT * FROM studies ORDER BY created_at, id').all() as StudyRow[]).map(studyOf);
  }

  /** Replaces a study's stored configuration (e.g. a resume that raises the trial target). */
  updateStudyConfig(studyId: number, config: Record<string, unknown>): void {
    this.db.prepare('UPDATE studies SET config = ? WHERE id = ?').run(JSON.stringify(config), studyId);
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
      this.artifacts(s.id).some((a) => fs.existsSync(this.artifactPath(a)));
    if (used) return false;
    this.db
      .transaction(() => {
        for (const table of ['artifacts', 'strategy_state', 'workers'])
          this.db.prepare(`DELETE FROM ${table} WHERE study_id = ?`).run(s.id);
        this.db.prepare('DELETE FROM studies WHERE id = ?').run(s.id);
      })
      .immediate();
    const dir = this.studyDir(name, false);
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
   * directory noted as another study's is refused (StudyDirError), never shared.
   */
  studyDir(name: string, create = true): string {
    const dir = path.join(this.studiesRoot, name);
    if (!create) return dir;
    const study = this.getStudy(name);
    const owner = readStudyDirOwner(dir);
    if (study && owner && !ownsDir(owner, study)) throw this.dirTakenError(name, dir, owner);
    fs.mkdirSync(dir, { recursive: true });
    // A directory without a note is adopted: studies made before notes existed.
    if (study && !owner) {
      const note: StudyDirOwner = {
        about: 'the files of this study of this store; tsnas refuses to share them with a study of another store',
        store: path.resolve(this.file),
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
    const whose =
      owner === 'unknown'
        ? 'files of unknown origin (an earlier study of that name, of a store since removed?)'
        : owner.store === path.resolve(this.file)
          ? `the files of an earlier study '${owner.study}' of this store that it no longer has (created ${new Date(owner.createdAt).toISOString()}; the store was replaced?)`
          : `the files of study '${owner.study}' of store ${owner.store} (created ${new Date(owner.createdAt).toISOString()})`;
    return new StudyDirError(
      `study '${name}' of ${this.file} cannot use ${dir}: it holds ${whose}, and a study's files are its own; ` +
        `choose another --study name, or keep this store in a directory of its own (another --store path)` +
        (owner === 'unknown' || owner.store === path.resolve(this.file) ? `, or remove ${dir}` : ''),
    );
  }

  // ---- trials ---------------------------------------------------------------------------

  /** Creates a running trial with the next number of the study. */
  createTrial(studyId: number, t: NewTrial): TrialRecord {
    return this.db
      .transaction(() => {
        const number = (this.stmt('nextNumber').get(studyId) as { n: number }).n;
        const r = this.stmt('insertTrial').run({
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
        });
        return this.trial(Number(r.lastInsertRowid));
      })
      .immediate();
  }

  trial(id: number): TrialRecord {
    const r = this.stmt('trial').get(id) as TrialRow | undefined;
    if (!r) throw new Error(`no trial with id ${id} in ${this.file}`);
    return trialOf(r);
  }

  trialByNumber(studyId: number, number: number): TrialRecord | undefined {
    const r = this.db.prepare('SELECT * FROM trials WHERE study_id = ? AND number = ?').get(studyId, number) as
      TrialRow | undefined;
    return r && trialOf(r);
  }

  /** Every trial of a study in number order (optionally only some states). */
  trials(studyId: number, states?: readonly TrialState[]): TrialRecord[] {
    if (!states) return (this.stmt('trials').all(studyId) as TrialRow[]).map(trialOf);
    const rows = this.db
      .prepare(
        `SELECT * FROM trials WHERE study_id = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY number`,
      )
      .all(studyId, ...states) as TrialRow[];
    return rows.map(trialOf);
  }

  private finish(
    id: number,
    state: Exclude<TrialState, 'running'>,
    metrics: Record<string, number>,
    epochs: Array<Record<string, number>> | undefined,
    error: string | null,
  ): TrialRecord {
    const r = this.stmt('finish').run({
      id,
      state,
      metrics: metricsJson(metrics),
      epochs: epochs === undefined ? null : metricsJson(epochs as never),
      now: Date.now(),
      error,
    });
    if (r.changes !== 1) {
      const t = this.trial(id);
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
    this.stmt('epochs').run(metricsJson(epochs as never), Date.now(), id);
  }

  heartbeat(id: number): void {
    this.stmt('beat').run(Date.now(), id);
  }

  /**
   * Fails every running trial of the study not run by `except` (call it holding the study's
   * lease: then no other live process runs trials of it) with 'interrupted (process ended)'.
   */
  failStaleTrials(studyId: number, except: string | null = null, error = INTERRUPTED_ERROR): TrialRecord[] {
    return this.db
      .transaction(() => {
        const stale = this.trials(studyId, ['running']).filter((t) => t.worker !== except || except === null);
        for (const t of stale) this.finish(t.id, 'failed', t.metrics, undefined, error);
        return stale.map((t) => this.trial(t.id));
      })
      .immediate();
  }

  // ---- the worker lease -----------------------------------------------------------------

  /**
   * Takes the study for this process. Throws StudyBusyError while another live process holds it
   * (same host: its pid is alive; another host: it beat within the last minutes).
   */
  acquireLease(studyId: number, me: WorkerId): void {
    this.db
      .transaction(() => {
        const cur = this.db.prepare('SELECT * FROM workers WHERE study_id = ?').get(studyId) as
          { worker: string; pid: number; host: string; started_at: number; heartbeat_at: number } | undefined;
        if (cur && cur.worker !== me.id && workerAlive(cur.host, cur.pid, cur.heartbeat_at)) {
          const s = this.studyById(studyId);
          throw new StudyBusyError(
            `study '${s.name}' is being searched by process ${cur.pid} on ${cur.host} (since ${new Date(cur.started_at).toISOString()}); ` +
              'wait for it to finish or stop it, then resume',
          );
        }
        const now = Date.now();
        this.db
          .prepare(
            `INSERT INTO workers (study_id, worker, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (study_id) DO UPDATE SET worker = excluded.worker, pid = excluded.pid, host = excluded.host,
        started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
          )
          .run(studyId, me.id, me.pid, me.host, now, now);
      })
      .immediate();
  }

  beatLease(studyId: number, me: WorkerId): void {
    this.db
      .prepare('UPDATE workers SET heartbeat_at = ? WHERE study_id = ? AND worker = ?')
      .run(Date.now(), studyId, me.id);
  }

  releaseLease(studyId: number, me: WorkerId): void {
    if (this.db.open) this.db.prepare('DELETE FROM workers WHERE study_id = ? AND worker = ?').run(studyId, me.id);
  }

  /** The live process searching a study, if any. */
  activeWorker(studyId: number): { pid: number; host: string; since: number } | null {
    const cur = this.db.prepare('SELECT * FROM workers WHERE study_id = ?').get(studyId) as
      { pid: number; host: string; started_at: number; heartbeat_at: number } | undefined;
    return cur && workerAlive(cur.host, cur.pid, cur.heartbeat_at)
      ? { pid: cur.pid, host: cur.host, since: cur.started_at }
      : null;
  }

  // ---- strategy state (key -> JSON) -----------------------------------------------------

  getState<T>(studyId: number, key: StateKey<T>): T | undefined {
    const r = this.stmt('getState').get(studyId, key.name) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setState<T>(studyId: number, key: StateKey<T>, value: T): void {
    this.stmt('setState').run(studyId, key.name, JSON.stringify(value), Date.now());
  }

  stateKeys(studyId: number): Array<{ key: string; updatedAt: number }> {
    return (
      this.db
        .prepare('SELECT key, updated_at FROM strategy_state WHERE study_id = ? ORDER BY key')
        .all(studyId) as Array<{ key: string; updated_at: number }>
    ).map((r) => ({ key: r.key, updatedAt: r.updated_at }));
  }

  // ---- artifacts ------------------------------------------------------------------------

  /** References a file of the study (paths inside the study directory are stored relative to it). */
  addArtifact(studyId: number, trialId: number | null, kind: string, file: string): ArtifactRecord {
    const dir = this.studyDir(this.studyById(studyId).name, false);
    const rel = path.relative(dir, path.resolve(file));
    const stored = rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel;
    const r = this.stmt('addArtifact').run(studyId, trialId, kind, stored, Date.now());
    return { id: Number(r.lastInsertRowid), studyId, trialId, kind, path: stored, createdAt: Date.now() };
  }

  artifacts(studyId: number, o: { trialId?: number; kind?: string } = {}): ArtifactRecord[] {
    const rows = this.db.prepare('SELECT * FROM artifacts WHERE study_id = ? ORDER BY id').all(studyId) as Array<{
      id: number;
      study_id: number;
      trial_id: number | null;
      kind: string;
      path: string;
      created_at: number;
    }>;
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
