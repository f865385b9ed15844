// The studies of an SQL store: creating one (atomically: one of two creators of a name wins),
// reading them, their stored configuration, removing one that recorded nothing, and the directory
// of each study's files on this machine with its note of whose it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactMissingError } from '../artifacts';
import {
  isInterrupted,
  type Direction,
  type StudyInit,
  type StudyRecord,
  type StudySummary,
  type TrialState,
} from '../types';
import { makeDirs } from '../../io/outputPath';
import { NoSuchStudyError, StudyDirError, StudyExistsError } from './storeErrors';
import { StorePart } from './storePart';
import { bestTrial } from './trials';

/** Study names double as directory names. */
export const STUDY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

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

/** Its statements (SQL both dialects parse; a driver prepares each on first use). */
const STATEMENTS = {
  study: 'SELECT * FROM studies WHERE name = ?',
  studyById: 'SELECT * FROM studies WHERE id = ?',
};

/** Studies, their configuration and their directories. */
export class StudyTable extends StorePart {
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
    const r = this.driver.get<StudyRow>(STATEMENTS.study, [name]);
    return r && this.remember(r);
  }

  studyById(id: number): StudyRecord {
    const r = this.driver.get<StudyRow>(STATEMENTS.studyById, [id]);
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
      this.store.trials(s.id).length > 0 ||
      this.store.stateKeys(s.id).length > 0 ||
      this.store.files(name).list().length > 0 ||
      this.store.artifacts(s.id).some((a) => fs.existsSync(this.store.artifactPath(a)));
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
    const trials = this.store.trials(study.id);
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
    if (
      study &&
      named &&
      !owner &&
      !creating &&
      (this.filesIn.get(name) === 'dir' || this.store.artifacts(study.id).length)
    )
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
}
