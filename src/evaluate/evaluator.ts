// An evaluator turns an architecture into metrics: by training it (the trainer with a budget), by
// looking it up in a table (tabular benchmarks), or by a synthetic function (for testing
// strategies without training). The search loop records what it returns in the trial.
import type { CostOverride } from '../cost/costModel';
import type { Arch, DecodeOptions, Space } from '../space/types';

export interface EvalJob {
  arch: Arch;
  /** Canonical compact string of arch. */
  archText: string;
  trialNumber: number;
  /** The study's space (the search loops give it; an evaluator made for one space may ignore it). */
  space?: Space;
  /** The study's seed (the search loops give it): an evaluator's randomness derives from it and the trial number. */
  seed?: number;
  /** The trial's recipe (from recipeFor), or null. */
  recipe: Record<string, unknown> | null;
  /** Train only this many epochs of the recipe's schedule (the strategy's early stopping); absent: all. */
  stopAfterEpochs?: number;
  /** The study's artifact directory. */
  studyDir: string;
  /** Call often during long evaluations (throttled by the caller): proves the process is alive. */
  heartbeat(): void;
  /** Finished epochs so far (recorded in the running trial). */
  onEpoch?(epochs: Array<Record<string, number>>): void;
  /** References a file this evaluation wrote (a checkpoint). */
  addArtifact?(kind: string, file: string): void;
  /** The study's files where it keeps them, when not only in studyDir (the store: studyDir is a cache). */
  files?: JobFiles;
  /**
   * This trial continues one that was interrupted after this many finished epochs (a worker lost):
   * its checkpoint must be found, not trained again from epoch 0.
   */
  resumeEpochs?: number;
  log(line: string): void;
}

/** A study's files for one evaluation (study/artifacts.ts's StudyFiles, bound to the trial). */
export interface JobFiles {
  /** Brings a directory of studyDir up to date from where the study keeps its files: before reading it. */
  pull(dir: string): void;
  /** Saves the files of a directory of studyDir that this process wrote: after writing, before saying so. */
  push(dir: string): void;
  /** The error for a file that is needed and not found: names the study, the file and where it was looked for. */
  missing(file: string, what: string, doInstead: string): Error;
}

export interface EvalResult {
  metrics: Record<string, number>;
  epochs?: Array<Record<string, number>>;
}

/** A failed evaluation, with what it measured before failing. */
export class EvaluationError extends Error {
  constructor(
    message: string,
    readonly partial: { metrics?: Record<string, number>; epochs?: Array<Record<string, number>> } = {},
  ) {
    super(message);
  }
}

/** The built-in kinds, or a kind registered with registerEvaluator ('function' for a user's objective). */
export type EvaluatorKind = 'train' | 'synthetic' | 'table' | 'function' | (string & {});

export interface Evaluator {
  readonly kind: EvaluatorKind;
  /** As the study records it: 'train', 'synthetic:3', 'table:/abs/file.json'. */
  readonly spec: string;
  /** For people: 'training on synthetic:2 (1 epoch, 500 images)'. */
  readonly description: string;
  /** Input shape and classes the architectures are evaluated with (their costs follow them). */
  readonly decode: DecodeOptions;
  /** Metric names it reports (to check the objective up front). */
  readonly metrics: readonly string[];
  /** Costs it knows better than the analytic models (a table's FLOPs). */
  readonly costOverride?: CostOverride;
  /** The recipe a trial of arch is evaluated with (recorded in the trial), or null. */
  recipeFor(arch: Arch, proposed?: Record<string, unknown> | null): Record<string, unknown> | null;
  /**
   * The architectures it can evaluate, when that is a finite set (a table's entries): strategies
   * that draw a pool of candidates draw it from these. Absent: any architecture of the space.
   */
  architectures?(): readonly Arch[];
  evaluate(job: EvalJob): Promise<EvalResult>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
