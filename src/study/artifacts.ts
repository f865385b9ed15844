// A study's files kept in the store itself (schema 4's artifact_files: SQLite blobs, PostgreSQL
// bytea), so that workers on machines that share only the database reach them: training
// checkpoints, supernet and predictor weights, any file a strategy writes in its study directory.
// The directory on each worker's disk is then a cache of what the store holds:
//
//   pull(dir)   before a directory is read: every file of it the store holds in another version
//               than the cache is downloaded (written to a temporary name and renamed: atomic)
//   push(dir)   after a directory is written: every file this process changed is uploaded, one
//               upsert per file (atomic: a reader sees the old bytes or the new, never a part)
//
// Which side changed is known per process: the version each file had when this process last
// pulled or pushed it. A file this process wrote since is pushed; a cached file the store holds
// in another version that this process did not write is stale, and the store's version wins
// (never the other way round: a worker's old cache never overwrites another worker's newer
// checkpoint). Versions are SHA-256 digests, computed once per (inode, size, mtime) of a file.
//
// A study whose files live in a folder it names (files_in 'dir'), or beside an SQLite store as
// before, has nothing to sync: pull and push do nothing, and the folder must be reachable
// (StudyStore.studyDir says so when it is not).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlDriver } from './sqlDriver';

/** A file of a study kept in the store (without its bytes). */
export interface ArtifactFile {
  /** Its path inside the study directory, with '/' separators ('checkpoints/ab12/checkpoint.safetensors'). */
  name: string;
  trialId: number | null;
  size: number;
  sha256: string;
  worker: string | null;
  updatedAt: number;
}

/** A study's file that a worker needs and cannot reach: names the study, the file and where it looked. */
export class ArtifactMissingError extends Error {}

/** The largest file the store takes (MiB; TSNAS_ARTIFACT_MAX_MB). PostgreSQL's bytea ends at 1 GiB. */
export const maxArtifactBytes = (): number => Number(process.env.TSNAS_ARTIFACT_MAX_MB ?? 512) * 1024 * 1024;

/** Files of a study directory that are never synced: notes of whose it is, temporaries of atomic writes. */
const NOT_SYNCED = /(^|\/)\.tsnas-study\.json$|\.tmp-\d+$|\.tmp$/;

/** SHA-256 of a file, remembered per (path, inode, size, mtime): an atomic write (a rename) is a new inode. */
const digests = new Map<string, { ino: number; size: number; mtimeMs: number; sha256: string }>();
function digestOf(file: string): string | null {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) return null;
  const known = digests.get(file);
  if (known && known.ino === st.ino && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.sha256;
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  digests.set(file, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/** The version of each cached file this process last pulled or pushed (absolute path -> SHA-256). */
const synced = new Map<string, string>();

interface FileRow {
  name: string;
  trial_id: number | null;
  size: number;
  sha256: string;
  worker: string | null;
  updated_at: number;
}
const fileOf = (r: FileRow): ArtifactFile => ({
  name: r.name,
  trialId: r.trial_id,
  size: Number(r.size),
  sha256: r.sha256,
  worker: r.worker,
  updatedAt: Number(r.updated_at),
});

/** Bytes as a Buffer (PostgreSQL's come back from its thread as a Uint8Array). */
const asBuffer = (v: unknown): Buffer =>
  Buffer.isBuffer(v)
    ? v
    : Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength);

export interface StudyFilesInit {
  driver: SqlDriver;
  /** The store as people know it (messages). */
  store: string;
  studyId: number;
  study: string;
  /** The study directory on this machine (a cache when the files are in the store). */
  dir: string;
  /** Whether the study keeps its files in the store. */
  inStore: boolean;
  /** Who writes (recorded with each file). */
  worker?: string | null;
}

export class StudyFiles {
  readonly dir: string;
  readonly inStore: boolean;
  private readonly d: StudyFilesInit;

  constructor(init: StudyFilesInit) {
    this.d = init;
    this.dir = init.dir;
    this.inStore = init.inStore;
  }

  /** A path of the study directory as the name of its file in the store ('a/b.json'). */
  nameOf(file: string): string {
    const rel = path.relative(this.dir, path.resolve(this.dir, file));
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new Error(`${file} is not inside the directory of study '${this.d.study}' (${this.dir})`);
    return rel.split(path.sep).join('/');
  }

  /** Stores a file's bytes under its name (one statement: atomic), for a trial or the study (null). */
  put(name: string, data: Buffer, trialId: number | null = null): ArtifactFile {
    const max = maxArtifactBytes();
    if (data.length > max)
      throw new Error(
        `study '${this.d.study}': ${name} is ${(data.length / 2 ** 20).toFixed(1)} MiB, more than the store ${this.d.store} takes ` +
          `(${max / 2 ** 20} MiB, TSNAS_ARTIFACT_MAX_MB); raise the limit, or keep the study's files in a folder every worker mounts (\`files\` DIR)`,
      );
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    const now = Date.now();
    this.d.driver.run(
      `INSERT INTO artifact_files (study_id, name, trial_id, size, sha256, data, worker, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (study_id, name) DO UPDATE SET trial_id = excluded.trial_id, size = excluded.size, sha256 = excluded.sha256,
      data = excluded.data, worker = excluded.worker, updated_at = excluded.updated_at`,
      [this.d.studyId, name, trialId, data.length, sha256, data, this.d.worker ?? null, now],
    );
    return { name, trialId, size: data.length, sha256, worker: this.d.worker ?? null, updatedAt: now };
  }

  /** A file's bytes, or null when the store has no file of that name. */
  get(name: string): { file: ArtifactFile; data: Buffer } | null {
    const r = this.d.driver.get<FileRow & { data: unknown }>(
      'SELECT * FROM artifact_files WHERE study_id = ? AND name = ?',
      [this.d.studyId, name],
    );
    return r ? { file: fileOf(r), data: asBuffer(r.data) } : null;
  }

  /** The study's files in the store (without their bytes), by name; only those under `prefix` when given. */
  list(prefix = ''): ArtifactFile[] {
    const cols = 'name, trial_id, size, sha256, worker, updated_at';
    const rows = prefix
      ? this.d.driver.all<FileRow>(
          `SELECT ${cols} FROM artifact_files WHERE study_id = ? AND substr(name, 1, ?) = ? ORDER BY name`,
          [this.d.studyId, prefix.length, prefix],
        )
      : this.d.driver.all<FileRow>(`SELECT ${cols} FROM artifact_files WHERE study_id = ? ORDER BY name`, [
          this.d.studyId,
        ]);
    return rows.map(fileOf);
  }

  /** The prefix of the names under a directory of the study ('' for all of it). */
  private prefixOf(dir: string | undefined): string {
    if (dir === undefined) return '';
    const name = this.nameOf(dir);
    return name === '' ? '' : `${name}/`;
  }

  /**
   * Brings the cache of a directory of the study (all of it by default) up to date with the store;
   * `except` names subdirectories left out ('checkpoints': each trial pulls its own). Returns the
   * names downloaded.
   */
  pull(dir?: string, except: readonly string[] = []): string[] {
    if (!this.inStore) return [];
    const got: string[] = [];
    for (const f of this.list(this.prefixOf(dir))) {
      if (except.some((e) => f.name.startsWith(`${e}/`))) continue;
      const file = path.join(this.dir, ...f.name.split('/'));
      const have = digestOf(file);
      if (have === f.sha256) {
        synced.set(file, have);
        continue;
      }
      // Written here since this process last synced it and not pushed yet: the next push sends it.
      if (have !== null && synced.has(file) && synced.get(file) !== have) continue;
      const row = this.get(f.name);
      if (!row) continue; // removed meanwhile
      const sha = crypto.createHash('sha256').update(row.data).digest('hex');
      if (sha !== row.file.sha256)
        throw new Error(
          `study '${this.d.study}': ${f.name} in the store ${this.d.store} is damaged (SHA-256 ${sha}, recorded ${row.file.sha256})`,
        );
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, row.data);
      fs.renameSync(tmp, file);
      synced.set(file, sha);
      digestOf(file);
      got.push(f.name);
    }
    return got;
  }

  /**
   * Uploads the files of a directory of the study (all of it by default) that this process wrote
   * since it last synced them, and files the store does not have; `except` as in pull. Returns
   * the names uploaded.
   */
  push(dir?: string, o: { trialId?: number | null; except?: readonly string[] } = {}): string[] {
    if (!this.inStore) return [];
    const prefix = this.prefixOf(dir);
    const root = path.join(this.dir, ...prefix.split('/').filter(Boolean));
    if (!fs.existsSync(root)) return [];
    const skip = new Set((o.except ?? []).map((e) => path.join(this.dir, ...e.split('/'))));
    // Files changed since this process last synced them (a stat each, a digest only for changed
    // ones); the store is asked only when there are some.
    const changed: Array<{ file: string; name: string; have: string }> = [];
    for (const file of filesUnder(root, skip)) {
      const name = this.nameOf(file);
      if (NOT_SYNCED.test(name)) continue;
      const have = digestOf(file);
      if (have !== null && synced.get(file) !== have) changed.push({ file, name, have });
    }
    if (!changed.length) return [];
    const inStore = new Map(this.list(prefix).map((f) => [f.name, f]));
    const sent: string[] = [];
    for (const { file, name, have } of changed) {
      const there = inStore.get(name);
      if (there?.sha256 === have) {
        synced.set(file, have);
        continue;
      }
      // The store holds another version that this process did not replace: a stale cache, not sent.
      if (there && !(synced.has(file) && synced.get(file) !== have)) continue;
      this.put(name, fs.readFileSync(file), o.trialId ?? null);
      synced.set(file, have);
      sent.push(name);
    }
    return sent;
  }

  /** Where a file of the study was looked for, for messages. */
  where(file: string): string {
    const local = path.resolve(this.dir, file);
    return this.inStore
      ? `the store ${this.d.store} (its artifact_files table, as '${this.nameOf(local)}') and this worker's cache ${local}`
      : local;
  }

  /** The error for a file a worker needs and cannot reach. */
  missing(file: string, what: string, doInstead: string): ArtifactMissingError {
    return new ArtifactMissingError(
      `study '${this.d.study}': ${what} is not there: looked in ${this.where(file)}; ${doInstead}`,
    );
  }
}

/** Every plain file under a directory, but for the directories in `skip`. */
function filesUnder(dir: string, skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip.has(p)) out.push(...filesUnder(p, skip));
    } else if (e.isFile()) out.push(p);
  }
  return out;
}
