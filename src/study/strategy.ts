// The strategy interface every search plugs into (Optuna's sampler, with ask/tell as the
// primitives). A strategy proposes architectures one at a time (`ask`) and learns from finished
// trials (`tell`). Its state must survive a crash, in one of two ways:
//
//   - rebuilt from the stored trials: on start and on resume the search loop replays every
//     settled trial (complete, failed, pruned; not interrupted) through `tell`, in trial order,
//     before the first `ask`. `ask` gets an Rng seeded by (study seed, index), index = the number
//     of settled trials before it, so a proposal is a pure function of the seed and the history:
//     random search and regularized evolution keep no other state.
//   - checkpointed: `ctx.state` (a key-value table of the store, JSON values) and files in
//     `ctx.studyDir` registered with `ctx.artifacts` (e.g. a supernet's weights).
//
// `prepare` is an optional long phase before the first ask (a supernet trained for many epochs,
// FBNet's DNAS), run again on every resume: it must checkpoint its progress (an epoch counter in
// ctx.state, weights in an artifact file) and skip what is done.
//
// Many workers (runWorker.ts) ask one study at once. Trials other workers run are pending: in
// `seen` (and `pending`), so a strategy that proposes the first unseen item of a stored plan (DNAS's
// proposals, a NARS round, NSE's retraining) gives each item to exactly one worker. `ask` answers
// one of three things:
//   - a Proposal;
//   - null: nothing more to propose given what is settled and pending (done; a worker still
//     waits for the trials running elsewhere, one of which may be lost and queued again);
//   - waitFor(reason): more to propose, but not before the pending trials settle (the next NARS
//     round is planned on the last one's results). A worker polls until they do; in one process
//     nothing is ever pending, so there it is a bug of the strategy.
// Asks never run at once: a worker asks holding the study's ask lock (a claimed phase of the
// store), so an ask may write the study's state (a plan, a refit) without racing another worker.
import type { DataSource } from '../data/imageSet';
import type { StudyFiles } from './artifacts';
import type { Evaluator } from '../evaluate/evaluator';
import type { Rng } from '../random/rng';
import type { Constraint } from '../cost/constraints';
import type { CostModel } from '../cost/costModel';
import type { Arch, Space } from '../space/types';
import type { StateKey } from './stateKey';
import type { ArtifactRecord, Objective, StudyRecord, TrialRecord } from './types';

/** What a strategy asks to evaluate next. */
export interface Proposal {
  arch: Arch;
  /** Who proposed it ('random', 'mutation', a strategy's own tag); recorded in the trial. */
  source: string;
  /** Recipe fields proposed with the architecture (joint architecture-recipe searches): part of the trial's identity. */
  recipe?: Record<string, unknown> | null;
  /**
   * The space it was drawn from when not the study's own (a search-space evolution round's, say):
   * recorded in the trial and part of its identity. `arch` must still be an architecture of the
   * study's space, which the loop formats, costs and evaluates it with.
   */
  space?: string | null;
  /**
   * Train only this many epochs of the recipe's schedule (early stopping, e.g. FBNetV3's e): the
   * training evaluator stops there and reports the accuracy it reached; evaluators without epochs
   * ignore it. Not part of the trial's identity (a strategy that re-proposes an interrupted trial
   * proposes the same number again).
   */
  stopAfterEpochs?: number | null;
}

/** A study's key-value state (JSON values, typed keys), for strategy state that must survive a crash. */
export interface StrategyState {
  get<T>(key: StateKey<T>): T | undefined;
  set<T>(key: StateKey<T>, value: T): void;
}

export interface StudyArtifacts {
  /** References a file (under studyDir, preferably) for a trial or for the whole study (null). */
  add(kind: string, file: string, trialId?: number | null): ArtifactRecord;
  list(kind?: string): ArtifactRecord[];
  /** An artifact's absolute path. */
  path(a: ArtifactRecord): string;
}

export interface StudyContext {
  study: StudyRecord;
  space: Space;
  seed: number;
  objective: Objective;
  constraints: readonly Constraint[];
  costs: CostModel;
  evaluator: Evaluator;
  /** The study's data set (training evaluators); throws when the study has none. */
  data(): DataSource;
  /** The study's directory, for artifact files (a cache of the store when the study keeps them there). */
  studyDir: string;
  /**
   * The study's files where it keeps them (artifacts.ts): the search loops pull before a phase
   * reads them and push after one writes them, so a strategy only reads and writes studyDir.
   */
  files?: StudyFiles;
  state: StrategyState;
  artifacts: StudyArtifacts;
  /** A line of progress for people (stderr). */
  log(line: string): void;
  /** Call during long work (prepare): proves the process is alive. */
  heartbeat(): void;
}

export interface AskContext extends StudyContext {
  /** Settled trials before this proposal: its position in the study. */
  index: number;
  /** Seeded by (study seed, index): the proposal's randomness. */
  rng: Rng;
  /** Settled trials in number order. */
  history: readonly TrialRecord[];
  /**
   * trialKey() of every settled trial (for an architecture-only search, its canonical architecture
   * string), and with many workers of every trial running too: they are pending, not to be asked
   * again (a queued trial is always taken before any ask).
   */
  seen: ReadonlySet<string>;
  /** Trials other workers are running now (many workers on one study; absent for one process). */
  pending?: readonly TrialRecord[];
}

/** An ask's answer that there is more to propose once the pending trials settle (see the file comment). */
export interface Wait {
  /** Why, for progress lines ('round 2 is planned on round 1's results'). */
  wait: string;
}
export const waitFor = (reason: string): Wait => ({ wait: reason });
export const isWait = (a: Proposal | Wait | null): a is Wait => a !== null && 'wait' in a;

export interface Strategy {
  readonly name: string;
  prepare?(ctx: StudyContext): Promise<void>;
  /** The next architecture, null when the strategy has nothing more to propose, or a Wait. */
  ask(ctx: AskContext): Proposal | Wait | null | Promise<Proposal | Wait | null>;
  /** A settled trial (live, or replayed on resume). */
  tell(trial: TrialRecord, ctx: StudyContext): void;
}
