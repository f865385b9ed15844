// What changed in a study since the dashboard last looked: one cheap query the server runs about
// once a second per watched study, so that a page is pushed an update when a trial starts, records
// an epoch or finishes, or the strategy stores state, and the study is read in full only then.
// Heartbeats are left out (they change every few seconds and show nothing new).
import type { StudyStore } from '../study/store';

export interface StudyStamp {
  /** Equal texts: nothing a page shows changed. */
  key: string;
  /** The part of `key` that is the strategy's stored state (its sections, a final training). */
  stateKey: string;
  trials: number;
  running: number;
  complete: number;
  failed: number;
  pruned: number;
  /** Live processes searching the study (a single search's, or the workers sharing it). */
  workers: number;
  /** The last trial start or finish (ms since the epoch), 0 before the first trial. */
  lastActivity: number;
}

interface TrialCounts {
  n: number | string;
  running: number | string | null;
  complete: number | string | null;
  failed: number | string | null;
  pruned: number | string | null;
  started: number | string | null;
  finished: number | string | null;
  epochs: number | string | null;
}

const num = (v: number | string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

/** The study's stamp. Plain SQL both dialects read (SQLite, PostgreSQL), on the store's read-only connection. */
export function studyStamp(store: StudyStore, studyId: number): StudyStamp {
  const c = store.driver.get<TrialCounts>(
    `SELECT COUNT(*) AS n,
      SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running,
      SUM(CASE WHEN state = 'complete' THEN 1 ELSE 0 END) AS complete,
      SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed,
      SUM(CASE WHEN state = 'pruned' THEN 1 ELSE 0 END) AS pruned,
      MAX(started_at) AS started, MAX(finished_at) AS finished,
      SUM(CASE WHEN state = 'running' THEN LENGTH(epochs) ELSE 0 END) AS epochs
    FROM trials WHERE study_id = ?`,
    [studyId],
  )!;
  const s = store.driver.get<{ k: number | string; u: number | string | null }>(
    'SELECT COUNT(*) AS k, MAX(updated_at) AS u FROM strategy_state WHERE study_id = ?',
    [studyId],
  )!;
  const workers = liveWorkers(store, studyId);
  const stamp = {
    trials: num(c.n),
    running: num(c.running),
    complete: num(c.complete),
    failed: num(c.failed),
    pruned: num(c.pruned),
    workers,
    lastActivity: Math.max(num(c.started), num(c.finished)),
  };
  const key = [
    stamp.trials,
    stamp.running,
    stamp.complete,
    num(c.started),
    num(c.finished),
    num(c.epochs),
    num(s.k),
    num(s.u),
    workers,
  ].join(':');
  return { key, stateKey: `${num(s.k)}:${num(s.u)}`, ...stamp };
}

/** Live processes on a study: the workers sharing it, or the one search holding it. */
export function liveWorkers(store: StudyStore, studyId: number): number {
  const sharing = store.sharingWorkers(studyId).length;
  return sharing || (store.activeWorker(studyId) ? 1 : 0);
}

/** Where a study stands: searched now, done (its trial target reached), stopped short, or left with running trials no process runs. */
export function studyState(
  stamp: StudyStamp,
  target: number | null,
): 'running' | 'finished' | 'stopped' | 'interrupted' {
  if (stamp.workers > 0) return 'running';
  if (stamp.running > 0) return 'interrupted';
  return target !== null && stamp.complete >= target ? 'finished' : 'stopped';
}
