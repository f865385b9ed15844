// The queue of an SQL store's lost trials: an architecture whose worker died waits here, with its
// identity, for the next worker free; an entry is taken exactly once (a transaction; on
// PostgreSQL the row is locked and rows other workers hold are skipped).
import type { NewTrial, QueuedTrial } from '../studyStorage';
import type { TrialRecord } from '../types';
import { StorePart } from './storePart';

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

/** Queued trials: enqueued, listed, taken once. */
export class TrialQueue extends StorePart {
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
      const trial = this.store.createTrial(studyId, make(queued));
      this.driver.run('UPDATE trial_queue SET trial_id = ? WHERE id = ?', [trial.id, queued.id]);
      return { queued, trial };
    });
  }
}
