// A study's files in an SQL store: the StudyFiles that sync its directory with the store
// (artifacts.ts), and references to files of the study (artifacts), kept relative to the study
// directory when inside it.
import * as path from 'node:path';
import { StudyFiles } from '../artifacts';
import type { ArtifactRecord } from '../types';
import { StorePart } from './storePart';

/** Its statements (SQL both dialects parse; a driver prepares each on first use). */
const STATEMENTS = {
  addArtifact: 'INSERT INTO artifacts (study_id, trial_id, kind, path, created_at) VALUES (?, ?, ?, ?, ?)',
};

/** A study's files and artifact references. */
export class ArtifactTable extends StorePart {
  /** A study's files where it keeps them: the store's artifact_files (artifacts.ts), or its directory. */
  files(name: string, worker: string | null = null): StudyFiles {
    const study = this.store.requireStudy(name);
    return new StudyFiles({
      driver: this.driver,
      store: this.file,
      studyId: study.id,
      study: name,
      dir: this.store.studyDir(name, false),
      inStore: this.filesIn.get(name) === 'store',
      worker,
    });
  }

  /** References a file of the study (paths inside the study directory are stored relative to it). */
  addArtifact(studyId: number, trialId: number | null, kind: string, file: string): ArtifactRecord {
    const dir = this.store.studyDir(this.store.studyById(studyId).name, false);
    const rel = path.relative(dir, path.resolve(file));
    const stored = rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel;
    const now = Date.now();
    const id = this.driver.insert(STATEMENTS.addArtifact, [studyId, trialId, kind, stored, now]);
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
    return path.isAbsolute(a.path)
      ? a.path
      : path.join(this.store.studyDir(this.store.studyById(a.studyId).name, false), a.path);
  }
}
