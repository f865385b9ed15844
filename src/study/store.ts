// The study store: one SQLite file (better-sqlite3, WAL, busy timeout) or one PostgreSQL database
// (a server many workers on many machines share; a `store` of postgres://user@host:port/db) holding
// studies, trials, strategy state and artifact references, with the same schema, migrations and
// guarantees in both (sqlDriver.ts). Large artifacts live as files in a per-study directory:
// beside an SQLite database (<dir of db>/studies/<study>/), or for PostgreSQL the directory the
// study names (files_dir, a directory every worker shares). Every write is one short transaction,
// so a process killed at any moment leaves either the old row or the new one. Resuming a study is
// reopening the store (Optuna's storage model).
//
// `StudyStore` is the SQL implementation of `StudyStorage` (studyStorage.ts, what each method
// guarantees), one module per concern under storage/: opening and migrations (openStore.ts),
// studies and their directories (studies.ts), trials (trials.ts), the queue of lost trials
// (trialQueue.ts), strategy state (strategyState.ts), files and artifacts (artifactRefs.ts),
// workers, leases and phases (workers.ts). This class opens the store and hands each call to its
// concern.
import type Database from 'better-sqlite3';
import type { StudyFiles } from './artifacts';
import type { SqlDriver } from './sqlDriver';
import type { StateKey } from './stateKey';
import { ArtifactTable } from './storage/artifactRefs';
import { DEFAULT_STORE, OpenedStore, type StoreOptions } from './storage/openStore';
import type { StoreContext } from './storage/storePart';
import { StateTable } from './storage/strategyState';
import { StudyTable } from './storage/studies';
import { TrialQueue } from './storage/trialQueue';
import { TrialTable } from './storage/trials';
import { WorkerTable } from './storage/workers';
import type { ActiveWorker, NewTrial, QueuedTrial, SharingWorker, StudyStorage } from './studyStorage';
import type { ArtifactRecord, StudyInit, StudyRecord, StudySummary, TrialRecord, TrialState } from './types';
import type { WorkerId } from './worker';

export { DEFAULT_STORE, type StoreOptions } from './storage/openStore';
export {
  explainStoreError,
  NoSuchStudyError,
  StoreError,
  STORE_FORMS,
  StudyBusyError,
  StudyDirError,
  StudyError,
  StudyExistsError,
  StudyUnfinishedError,
} from './storage/storeErrors';
export { STUDY_DIR_OWNER, STUDY_NAME_PATTERN } from './storage/studies';
export { better, bestTrial, trialOf, trialWorkerAlive } from './storage/trials';
export type { NewTrial, QueuedTrial, StudyStorage } from './studyStorage';

export class StudyStore implements StudyStorage {
  /** The database the store's SQL runs on (SQLite or PostgreSQL). */
  readonly driver: SqlDriver;
  readonly studiesRoot: string;
  /** The store's location as given (a PostgreSQL URL without its password). */
  readonly file: string;
  /** Whether this open made the store (a new SQLite file, or a PostgreSQL database's tables). */
  readonly created: boolean;

  private readonly opened: OpenedStore;
  private readonly studyTable: StudyTable;
  private readonly trialTable: TrialTable;
  private readonly queue: TrialQueue;
  private readonly state: StateTable;
  private readonly artifactTable: ArtifactTable;
  private readonly workers: WorkerTable;

  private constructor(location: string, o: StoreOptions) {
    this.opened = new OpenedStore(location, o);
    this.driver = this.opened.driver;
    this.studiesRoot = this.opened.studiesRoot;
    this.file = this.opened.file;
    this.created = this.opened.created;
    const c: StoreContext = {
      driver: this.driver,
      file: this.file,
      studiesRoot: this.studiesRoot,
      filesDirs: new Map(),
      filesIn: new Map(),
    };
    this.studyTable = new StudyTable(c, this);
    this.trialTable = new TrialTable(c, this);
    this.queue = new TrialQueue(c, this);
    this.state = new StateTable(c, this);
    this.artifactTable = new ArtifactTable(c, this);
    this.workers = new WorkerTable(c, this);
  }

  /** Opens a store: a file path or sqlite:PATH (SQLite), or postgres://user@host:port/db (PostgreSQL). */
  static open(location: string = DEFAULT_STORE, o: StoreOptions = {}): StudyStore {
    return new StudyStore(location, o);
  }

  /** The SQLite database (an SQLite store's only: tests and benchmarks that look underneath). */
  get db(): Database.Database {
    return this.opened.db;
  }

  /** Whether the store is a PostgreSQL database (one many machines share). */
  get shared(): boolean {
    return this.driver.dialect === 'postgres';
  }

  close(): void {
    this.opened.close();
  }

  /**
   * Closes the store and removes its file when this process can prove the file its own and
   * unused (openStore.ts); returns whether it removed it.
   */
  closeAndRemoveIfUnused(): boolean {
    return this.opened.closeAndRemoveIfUnused();
  }

  // ---- studies (storage/studies.ts) ------------------------------------------------------

  createStudy(init: StudyInit): StudyRecord {
    return this.studyTable.createStudy(init);
  }
  getStudy(name: string): StudyRecord | undefined {
    return this.studyTable.getStudy(name);
  }
  studyById(id: number): StudyRecord {
    return this.studyTable.studyById(id);
  }
  requireStudy(name: string): StudyRecord {
    return this.studyTable.requireStudy(name);
  }
  studies(): StudyRecord[] {
    return this.studyTable.studies();
  }
  updateStudyConfig(studyId: number, config: Record<string, unknown>): void {
    this.studyTable.updateStudyConfig(studyId, config);
  }
  removeUnusedStudy(name: string): boolean {
    return this.studyTable.removeUnusedStudy(name);
  }
  summary(study: StudyRecord): StudySummary {
    return this.studyTable.summary(study);
  }
  studyDir(name: string, create = true, creating = false): string {
    return this.studyTable.studyDir(name, create, creating);
  }

  // ---- trials (storage/trials.ts) --------------------------------------------------------

  createTrial(studyId: number, t: NewTrial): TrialRecord {
    return this.trialTable.createTrial(studyId, t);
  }
  createTrialIfNext(studyId: number, number: number, t: NewTrial): TrialRecord | null {
    return this.trialTable.createTrialIfNext(studyId, number, t);
  }
  trial(id: number): TrialRecord {
    return this.trialTable.trial(id);
  }
  trialByNumber(studyId: number, number: number): TrialRecord | undefined {
    return this.trialTable.trialByNumber(studyId, number);
  }
  trials(studyId: number, states?: readonly TrialState[]): TrialRecord[] {
    return this.trialTable.trials(studyId, states);
  }
  completeTrial(id: number, metrics: Record<string, number>, epochs?: Array<Record<string, number>>): TrialRecord {
    return this.trialTable.completeTrial(id, metrics, epochs);
  }
  failTrial(
    id: number,
    error: string,
    o: { metrics?: Record<string, number>; epochs?: Array<Record<string, number>>; state?: 'failed' | 'pruned' } = {},
  ): TrialRecord {
    return this.trialTable.failTrial(id, error, o);
  }
  recordEpochs(id: number, epochs: Array<Record<string, number>>): void {
    this.trialTable.recordEpochs(id, epochs);
  }
  heartbeat(id: number): void {
    this.trialTable.heartbeat(id);
  }
  failStaleTrials(studyId: number, except: string | null = null, error?: string): TrialRecord[] {
    return this.trialTable.failStaleTrials(studyId, except, error);
  }
  failDeadWorkersTrials(studyId: number, staleMs: number, now = Date.now()): TrialRecord[] {
    return this.trialTable.failDeadWorkersTrials(studyId, staleMs, now);
  }

  // ---- queued trials (storage/trialQueue.ts) ---------------------------------------------

  enqueueTrial(
    studyId: number,
    t: Pick<NewTrial, 'arch' | 'searchedRecipe' | 'space' | 'source'> & { stopAfterEpochs?: number | null },
    reason: string,
  ): number {
    return this.queue.enqueueTrial(studyId, t, reason);
  }
  queuedTrials(studyId: number): QueuedTrial[] {
    return this.queue.queuedTrials(studyId);
  }
  takeQueuedTrial(
    studyId: number,
    make: (q: QueuedTrial) => NewTrial,
  ): { queued: QueuedTrial; trial: TrialRecord } | null {
    return this.queue.takeQueuedTrial(studyId, make);
  }

  // ---- workers, leases and phases (storage/workers.ts) -----------------------------------

  sharingWorkers(studyId: number): SharingWorker[] {
    return this.workers.sharingWorkers(studyId);
  }
  acquireLease(studyId: number, me: WorkerId): void {
    this.workers.acquireLease(studyId, me);
  }
  joinStudy(studyId: number, me: WorkerId): void {
    this.workers.joinStudy(studyId, me);
  }
  leaveStudy(me: WorkerId): void {
    this.workers.leaveStudy(me);
  }
  beatLease(studyId: number, me: WorkerId): void {
    this.workers.beatLease(studyId, me);
  }
  releaseLease(studyId: number, me: WorkerId): void {
    this.workers.releaseLease(studyId, me);
  }
  activeWorker(studyId: number): ActiveWorker | null {
    return this.workers.activeWorker(studyId);
  }
  claimPhase(studyId: number, name: string, me: WorkerId, staleMs: number): 'mine' | 'done' | 'busy' {
    return this.workers.claimPhase(studyId, name, me, staleMs);
  }
  beatPhase(studyId: number, name: string, me: WorkerId): void {
    this.workers.beatPhase(studyId, name, me);
  }
  releasePhase(studyId: number, name: string, me: WorkerId): void {
    this.workers.releasePhase(studyId, name, me);
  }
  finishPhase(studyId: number, name: string, me: WorkerId): void {
    this.workers.finishPhase(studyId, name, me);
  }

  // ---- strategy state (storage/strategyState.ts) -----------------------------------------

  getState<T>(studyId: number, key: StateKey<T>): T | undefined {
    return this.state.getState(studyId, key);
  }
  setState<T>(studyId: number, key: StateKey<T>, value: T): void {
    this.state.setState(studyId, key, value);
  }
  stateKeys(studyId: number): Array<{ key: string; updatedAt: number }> {
    return this.state.stateKeys(studyId);
  }

  // ---- files and artifacts (storage/artifactRefs.ts) -------------------------------------

  files(name: string, worker: string | null = null): StudyFiles {
    return this.artifactTable.files(name, worker);
  }
  addArtifact(studyId: number, trialId: number | null, kind: string, file: string): ArtifactRecord {
    return this.artifactTable.addArtifact(studyId, trialId, kind, file);
  }
  artifacts(studyId: number, o: { trialId?: number; kind?: string } = {}): ArtifactRecord[] {
    return this.artifactTable.artifacts(studyId, o);
  }
  artifactPath(a: ArtifactRecord): string {
    return this.artifactTable.artifactPath(a);
  }
}
