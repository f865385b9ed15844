// The study's files the dashboard lists and serves: those kept in the store, and those in the study's
// directory. A download names a file by its path inside the study; anything that could reach
// outside it (an absolute path, '..', a backslash, a link out of the directory) is refused, and
// nothing but a regular file of the study is ever read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STUDY_DIR_OWNER, type StudyStore } from '../study/store';
import type { StudyRecord } from '../study/types';

export interface StudyFileEntry {
  /** Its path inside the study ('/'-separated): what a download names. */
  name: string;
  kind: string;
  size: number | null;
}

/** Why a path was refused, for the 400 page. */
export class RefusedPathError extends Error {}

/** Checks a requested path inside a study; returns its '/'-separated segments or throws RefusedPathError. */
export function safeSegments(rel: string): string[] {
  if (!rel || rel.length > 1000) throw new RefusedPathError('an empty or overlong file path');
  if (/[\\\0]/.test(rel) || rel.startsWith('/')) throw new RefusedPathError(`'${rel}' is not a path inside the study`);
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new RefusedPathError(`'${rel}' leaves the study's files ('.', '..' or an empty segment)`);
  return parts;
}

/** The files of one trial: the store's, and the artifacts the strategy recorded for it. */
export function trialFiles(store: StudyStore, study: StudyRecord, trialId: number): StudyFileEntry[] {
  const out = new Map<string, StudyFileEntry>();
  for (const f of store.files(study.name).list())
    if (f.trialId === trialId) out.set(f.name, { name: f.name, kind: 'in the store', size: f.size });
  const dir = store.studyDir(study.name, false);
  for (const a of store.artifacts(study.id, { trialId })) {
    const rel = path.relative(dir, store.artifactPath(a));
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // outside the study: never served, so not offered
    const name = rel.split(path.sep).join('/');
    const st = fs.statSync(path.join(dir, rel), { throwIfNoEntry: false });
    if (!out.has(name)) out.set(name, { name, kind: a.kind, size: st?.isFile() ? st.size : null });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** A file of the study to send: its bytes, or null when the study has no such file. Throws RefusedPathError. */
export function readStudyFile(
  store: StudyStore,
  study: StudyRecord,
  rel: string,
): { name: string; data: Buffer } | null {
  const parts = safeSegments(rel);
  const name = parts.join('/');
  const kept = store.files(study.name).get(name);
  if (kept) return { name, data: kept.data };
  const dir = store.studyDir(study.name, false);
  if (!fs.existsSync(dir)) return null;
  const root = fs.realpathSync(dir);
  const full = path.join(dir, ...parts);
  if (!fs.existsSync(full)) return null;
  const real = fs.realpathSync(full);
  if (!real.startsWith(root + path.sep)) throw new RefusedPathError(`'${rel}' leads outside the study's directory`);
  if (path.basename(real) === STUDY_DIR_OWNER) return null;
  const st = fs.statSync(real);
  if (!st.isFile()) return null;
  return { name, data: fs.readFileSync(real) };
}
