// What a study store is, whatever holds it (Optuna's BaseStorage): the one interface the search
// loops, the strategies' context, the CLI and the dashboard use. `StudyStore` (store.ts) implements
// it over SQL, for SQLite and PostgreSQL alike (sqlDriver.ts), one module per concern under
// storage/. Another SQL database is another SqlDriver; another kind of backend is a new file that
// implements this interface.
//
// The guarantees every implementation keeps, because the loops and many workers rely on them:
//  - every write is atomic: a process killed at any moment leaves the old record or the new one;
//  - the methods said to be atomic below are one transaction each (under the study's lock where
//    workers race for the same thing), so that of workers doing them at once, exactly one wins;
//  - finished trials never change, and trials are never deleted;
//  - methods are synchronous: a caller holds no promise between reading the study and writing it.
import type { ArchCosts } from '../cost/costModel';
import type { StudyFiles } from './artifacts';
import type { StateKey } from './stateKey';
import type { ArtifactRecord, StudyInit, StudyRecord, StudySummary, TrialRecord, TrialState } from './types';
import type { WorkerId } from './worker';

/** A trial to create (it starts running). */
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

/** A live worker sharing a study. */
export interface SharingWorker {
  worker: string;
  pid: number;
  host: string;
  since: number;
}

/** The process searching a study. */
export interface ActiveWorker {
  pid: number;
  host: string;
  since: number;
}

export interface StudyStorage {
  // ---- the store --------------------------------------------------------------------------

  /** The store's location as given (a database URL without its password): messages name it. */
  readonly file: string;
  /** Where per-study directories go on this machine (files, or the cache of files kept in the store). */
  readonly studiesRoot: string;
  /** Whether workers on other machines may share the store (PostgreSQL). */
  readonly shared: boolean;
  /** Closes the store; its records stay. */
  close(): void;

  // ---- studies ----------------------------------------------------------------------------

  /**
   * Creates a study, atomically: of two processes creating one name at once, one creates it and
   * the other gets StudyExistsError. Refuses a name that is not a directory name, and a study
   * directory that holds another study's files (StudyDirError).
   */
  createStudy(init: StudyInit): StudyRecord;
  getStudy(name: string): StudyRecord | undefined;
  /** The study, or NoSuchStudyError. */
  studyById(id: number): StudyRecord;
  /** The study, or NoSuchStudyError listing the studies there are. */
  requireStudy(name: string): StudyRecord;
  /** Every study, oldest first. */
  studies(): StudyRecord[];
  /** Replaces a study's stored configuration (e.g. a resume that raises the trial target). */
  updateStudyConfig(studyId: number, config: Record<string, unknown>): void;
  /**
   * Removes a study that recorded nothing (no trial, state or artifact), atomically, and its
   * directory when it holds nothing else; returns whether it did.
   */
  removeUnusedStudy(name: string): boolean;
  /** Counts of the study's trials by state, and its best trial. */
  summary(study: StudyRecord): StudySummary;
  /**
   * The directory of a study's files on this machine, created on demand (`create`) with a note of
   * whose it is; a directory noted as another study's is refused (StudyDirError).
   */
  studyDir(name: string, create?: boolean, creating?: boolean): string;

  // ---- trials -----------------------------------------------------------------------------

  /** Creates a running trial with the study's next number (atomic: workers take numbers one after the other). */
  createTrial(studyId: number, t: NewTrial): TrialRecord;
  /**
   * Creates a running trial numbered `number` only if that is still the study's next number, else
   * returns null (atomic: of workers asking for one number at once, one gets it). Redone after a
   * lost connection, it returns the trial the first try created.
   */
  createTrialIfNext(studyId: number, number: number, t: NewTrial): TrialRecord | null;
  /** The trial, or an error. */
  trial(id: number): TrialRecord;
  trialByNumber(studyId: number, number: number): TrialRecord | undefined;
  /** Every trial of a study in number order (optionally only some states). */
  trials(studyId: number, states?: readonly TrialState[]): TrialRecord[];
  /** Finishes a running trial as complete (a finished trial is never finished again: an error). */
  completeTrial(id: number, metrics: Record<string, number>, epochs?: Array<Record<string, number>>): TrialRecord;
  /** Finishes a running trial as failed (or pruned), with the error saying why. */
  failTrial(
    id: number,
    error: string,
    o?: { metrics?: Record<string, number>; epochs?: Array<Record<string, number>>; state?: 'failed' | 'pruned' },
  ): TrialRecord;
  /** Records a running trial's finished epochs so far (and beats its heart). */
  recordEpochs(id: number, epochs: Array<Record<string, number>>): void;
  /** Proves a running trial's process alive. */
  heartbeat(id: number): void;
  /**
   * Fails every running trial of the study not run by `except` as interrupted, atomically (call it
   * holding the study's lease); returns them.
   */
  failStaleTrials(studyId: number, except?: string | null, error?: string): TrialRecord[];
  /**
   * Fails the running trials whose worker is gone (its process ended, or its heartbeat is older
   * than staleMs) as interrupted and queues each one's identity again, atomically (Optuna's
   * fail_stale_trials with a retry callback); returns them.
   */
  failDeadWorkersTrials(studyId: number, staleMs: number, now?: number): TrialRecord[];

  // ---- queued trials ----------------------------------------------------------------------

  /** Queues an architecture (with its searched recipe and space) for the next worker free; returns its id. */
  enqueueTrial(
    studyId: number,
    t: Pick<NewTrial, 'arch' | 'searchedRecipe' | 'space' | 'source'> & { stopAfterEpochs?: number | null },
    reason: string,
  ): number;
  /** Queued trials not taken yet, oldest first. */
  queuedTrials(studyId: number): QueuedTrial[];
  /**
   * Takes the oldest queued trial and creates the running trial `make` makes of it, atomically:
   * an entry is taken exactly once, however many workers take at once. Null when none waits.
   */
  takeQueuedTrial(
    studyId: number,
    make: (q: QueuedTrial) => NewTrial,
  ): { queued: QueuedTrial; trial: TrialRecord } | null;

  // ---- strategy state (typed keys -> JSON values) -----------------------------------------

  getState<T>(studyId: number, key: StateKey<T>): T | undefined;
  /** Sets one key's value (atomic: a reader sees the old value or the new one). */
  setState<T>(studyId: number, key: StateKey<T>, value: T): void;
  stateKeys(studyId: number): Array<{ key: string; updatedAt: number }>;

  // ---- files and artifacts ----------------------------------------------------------------

  /** A study's files where it keeps them (artifacts.ts), written by `worker`. */
  files(name: string, worker?: string | null): StudyFiles;
  /** References a file of the study (for a trial, or the study: null). */
  addArtifact(studyId: number, trialId: number | null, kind: string, file: string): ArtifactRecord;
  artifacts(studyId: number, o?: { trialId?: number; kind?: string }): ArtifactRecord[];
  /** The absolute path of an artifact. */
  artifactPath(a: ArtifactRecord): string;

  // ---- workers, leases and one-off phases -------------------------------------------------

  /** Live workers sharing a study. */
  sharingWorkers(studyId: number): SharingWorker[];
  /**
   * Takes the study for one process, atomically; StudyBusyError while another live process holds
   * it or workers share it.
   */
  acquireLease(studyId: number, me: WorkerId): void;
  /** Joins the workers sharing a study, atomically (refused while a single process holds its lease). */
  joinStudy(studyId: number, me: WorkerId): void;
  leaveStudy(me: WorkerId): void;
  /** Proves the lease holder (or a sharing worker) alive. */
  beatLease(studyId: number, me: WorkerId): void;
  releaseLease(studyId: number, me: WorkerId): void;
  /** The live process searching a study, if any. */
  activeWorker(studyId: number): ActiveWorker | null;
  /**
   * Claims a one-off phase of a study for one worker, atomically: 'mine' (run it, then
   * finishPhase), 'done' (another worker ran it), or 'busy' (another live worker runs it). A
   * claimer whose heartbeat is older than staleMs loses it to the next asker.
   */
  claimPhase(studyId: number, name: string, me: WorkerId, staleMs: number): 'mine' | 'done' | 'busy';
  beatPhase(studyId: number, name: string, me: WorkerId): void;
  /** Gives a claimed phase up unfinished, so that the next claim gets it (a lock). */
  releasePhase(studyId: number, name: string, me: WorkerId): void;
  finishPhase(studyId: number, name: string, me: WorkerId): void;
}
