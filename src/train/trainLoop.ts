// The training loop every method shares (the trainer, FBNet's DNAS, the one-shot supernet
// methods): epochs of batches from seeded loaders, the learning rate set per step from a
// schedule, libtorch's generator seeded per epoch, a non-finite loss ending the run with the
// finished epochs kept, and a checkpoint at every epoch end that a later run resumes from.
// What differs between methods comes in as hooks: the step, per-step setup, a second pass on
// another split, the epoch's record, and what else a checkpoint carries.
//
// Exact resume rests on every random draw being a function of (seed, epoch, step): the loaders
// shuffle and augment from their seed and the epoch, seedEpoch reseeds libtorch before each
// epoch, the learning rate is a pure function of the fractional epoch, and ctx.rng() derives from
// the step's position. The loop itself draws nothing.
import { dispose, tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { disposeBatch, type Batch, type BatchLoader } from '../data/loader';
import type { Module } from '../nn/module';
import type { Optimizer } from '../optim/optimizer';
import type { Rng } from '../random/rng';
import { hashString, rngFor } from '../random/seeds';
import {
  checkpointFile,
  hasCheckpoint,
  loadCheckpoint,
  readCheckpointState,
  saveCheckpoint,
  type CheckpointState,
} from './checkpoint';
import { seedEpoch } from './epochSeed';

export interface StepContext {
  /** The pass's name ('train', 'weights', 'theta'...). */
  pass: string;
  /** 0-based epoch, and batch within the pass's epoch. */
  epoch: number;
  batch: number;
  /** This pass's step over the whole run (epoch * batches per epoch + batch): the same when resumed. */
  step: number;
  /** Learning rate of this step (the schedule's, or the optimizer's own without one). */
  lr: number;
  /** A generator for this step alone, derived from the run seed, the pass and the step (e.g. SPOS's path). */
  rng(): Rng;
}

export interface StepResult {
  /** The batch's loss. A non-finite value ends the run; the optimizer is not applied. */
  loss: number;
  /** Correct predictions in the batch. */
  hits: number;
  /** More per-image figures to average over the pass, by name (DNAS's theta pass: ce, cost). */
  means?: Record<string, number>;
}

export interface TrainPass {
  name: string;
  loader: BatchLoader;
  /** Applied after every step with a finite loss. */
  optimizer: Optimizer;
  /** Learning rate at a fractional epoch, set before every step; without it the optimizer keeps its own. */
  learningRate?: (epoch: number) => number;
  /** Runs before the pass in each epoch (e.g. which parameters record gradients). */
  begin?: (epoch: number) => void;
  /** Per-step setup before the step (e.g. SPOS samples the path); outside the step's memory scope. */
  beforeStep?: (ctx: StepContext) => void;
  /** Zeroes gradients, runs forward and backward for one batch: inside a memory scope the loop opens. */
  step: (batch: Batch, ctx: StepContext) => StepResult;
  /** Runs after each optimizer update (e.g. the trainer's weight EMA). */
  afterUpdate?: (ctx: StepContext) => void;
  /** The error a non-finite loss ends the run with: what diverged, where, and what to change. */
  diverged: (result: StepResult, ctx: StepContext) => Error;
}

export interface SecondPass extends TrainPass {
  /** Whether the pass runs in this (0-based) epoch; default every epoch (DNAS: not in warm-up). */
  when?: (epoch: number) => boolean;
}

/** One pass over its loader in one epoch. */
export interface PassTotals {
  /** Mean loss and accuracy per image, and the images seen. */
  loss: number;
  accuracy: number;
  images: number;
  /** StepResult.means averaged per image. */
  means: Record<string, number>;
  /** Learning rate at the pass's start (fractional epoch + 0) and of its last step. */
  firstLr: number;
  lastLr: number;
  seconds: number;
}

export interface EpochPasses {
  /** 0-based. */
  epoch: number;
  main: PassTotals;
  /** Null when there is no second pass or it did not run this epoch. */
  second: PassTotals | null;
  /** performance.now() when the epoch began. */
  startedAt: number;
}

export interface LoopCheckpoint<R> {
  dir: string;
  /** Tensor group of the main optimizer's state: 'optim' in the trainer's checkpoints, 'wopt' in DNAS's. */
  optimizerGroup: string;
  /** The checkpoint's `run` state (the records included) and tensor groups beyond the model and main optimizer. */
  save(
    records: readonly R[],
    epoch: number,
  ): { run: Record<string, unknown>; groups?: Record<string, Map<string, Tensor>> };
  /** Checks a checkpoint's state (read from its header) before any tensor is loaded; throws to refuse it. */
  validate?(state: CheckpointState): void;
  /** Restores what save() added (the loop has loaded the model and main optimizer); returns the records. */
  restore(state: CheckpointState, groups: Record<string, Map<string, Tensor>>): R[];
}

export interface LoopProgress {
  /** 1-based epoch, of `epochs`. */
  epoch: number;
  epochs: number;
  pass: string;
  /** Batches done in this pass's epoch, of `batches`. */
  batch: number;
  batches: number;
  /** Mean loss of the pass so far. */
  loss: number;
}

export interface TrainLoopSpec<R> {
  /** What a checkpoint's 'model' group holds. */
  model: Module;
  /** The run's seed: libtorch's generator is reseeded with seedEpoch(seed, epoch) before each epoch. */
  seed: number;
  /** Trains the epochs from the checkpoint's (0 when fresh) up to this one. */
  epochs: number;
  main: TrainPass;
  /** A pass over another split after the main one (DNAS: theta with Adam on the 20% split). */
  second?: SecondPass;
  /** Runs after the epoch's seeding, before its passes (e.g. DNAS's temperature). */
  beginEpoch?: (epoch: number) => void;
  /** Evaluates the epoch and makes its record (EpochMetrics, DnasEpochRecord); throwing ends the run. */
  endEpoch: (e: EpochPasses) => R;
  /** Written at every epoch end; an existing one is resumed. */
  checkpoint?: LoopCheckpoint<R>;
  onProgress?: (p: LoopProgress) => void;
  /** Called once the epoch's checkpoint is written, with the records of every epoch so far. */
  onEpoch?: (record: R, all: readonly R[]) => void;
}

export interface TrainLoopResult<R> {
  /** Records of the finished epochs (a resumed run's earlier ones included). */
  records: R[];
  /** Epochs done in the checkpoint the run resumed from (0 when fresh). */
  resumedFrom: number;
  complete: boolean;
  /** What ended an incomplete run (a diverged loss, a refused checkpoint, a hook's error). */
  error?: unknown;
}

/**
 * Runs (or resumes) the epochs. Does not throw: an error ends the run and comes back in the
 * result with the finished epochs, whose checkpoint stays as it was; the caller decides what a
 * failed run means (train() reports it, runDnas rethrows). The caller owns and disposes the
 * model, loaders and optimizers.
 */
export function runTrainLoop<R>(spec: TrainLoopSpec<R>): TrainLoopResult<R> {
  let records: R[] = [];
  let resumedFrom = 0;
  try {
    const ck = spec.checkpoint;
    if (ck && hasCheckpoint(ck.dir)) ({ records, resumedFrom } = resume(spec, ck));
    for (let epoch = resumedFrom; epoch < spec.epochs; epoch++) {
      // Dropout, stochastic depth and Gumbel noise draw from libtorch's generator: seeding it per
      // epoch makes an epoch draw the same numbers whether the run is fresh or resumed.
      seedEpoch(spec.seed, epoch);
      const startedAt = performance.now();
      spec.beginEpoch?.(epoch);
      const main = runPass(spec, spec.main, epoch);
      const second = spec.second && (spec.second.when?.(epoch) ?? true) ? runPass(spec, spec.second, epoch) : null;
      const record = spec.endEpoch({ epoch, main, second, startedAt });
      records.push(record);
      if (ck) saveEpoch(spec, ck, records, epoch);
      spec.onEpoch?.(record, records);
    }
    return { records, resumedFrom, complete: true };
  } catch (error) {
    return { records, resumedFrom, complete: false, error };
  }
}

function runPass<R>(spec: TrainLoopSpec<R>, pass: TrainPass, epoch: number): PassTotals {
  const t0 = performance.now();
  pass.begin?.(epoch);
  const nb = pass.loader.batchesPerEpoch;
  const ownLr = () => pass.optimizer.groups[0]?.lr ?? NaN;
  const firstLr = pass.learningRate ? pass.learningRate(epoch) : ownLr();
  let lastLr = firstLr;
  let lossSum = 0;
  let hits = 0;
  let seen = 0;
  const sums: Record<string, number> = {};
  let b = 0;
  for (const batch of pass.loader.epoch(epoch)) {
    try {
      const lr = pass.learningRate ? pass.learningRate(epoch + b / nb) : ownLr();
      if (pass.learningRate) pass.optimizer.setLearningRate(lr);
      lastLr = lr;
      const ctx = stepContext(spec.seed, pass.name, epoch, b, nb, lr);
      pass.beforeStep?.(ctx);
      const r = tidy(() => pass.step(batch, ctx));
      if (!Number.isFinite(r.loss)) throw pass.diverged(r, ctx);
      pass.optimizer.step();
      pass.afterUpdate?.(ctx);
      lossSum += r.loss * batch.size;
      hits += r.hits;
      seen += batch.size;
      for (const [k, v] of Object.entries(r.means ?? {})) sums[k] = (sums[k] ?? 0) + v * batch.size;
    } finally {
      disposeBatch(batch);
    }
    b++;
    spec.onProgress?.({
      epoch: epoch + 1,
      epochs: spec.epochs,
      pass: pass.name,
      batch: b,
      batches: nb,
      loss: lossSum / seen,
    });
  }
  const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen]));
  return {
    loss: lossSum / seen,
    accuracy: hits / seen,
    images: seen,
    means,
    firstLr,
    lastLr,
    seconds: (performance.now() - t0) / 1000,
  };
}

function stepContext(
  seed: number,
  pass: string,
  epoch: number,
  batch: number,
  batches: number,
  lr: number,
): StepContext {
  const step = epoch * batches + batch;
  let rng: Rng | null = null;
  return { pass, epoch, batch, step, lr, rng: () => (rng ??= rngFor(seed, hashString(pass), step)) };
}

function resume<R>(spec: TrainLoopSpec<R>, ck: LoopCheckpoint<R>): { records: R[]; resumedFrom: number } {
  // What run the checkpoint belongs to is checked from its header, before any tensor is loaded.
  ck.validate?.(readCheckpointState(ck.dir));
  const loaded = loadCheckpoint(ck.dir);
  try {
    try {
      spec.model.loadStateDict(loaded.groups.model ?? new Map());
    } catch (err) {
      throw new Error(
        `${checkpointFile(ck.dir)}: its weights do not fit this network (${(err as Error).message}); give another checkpoint directory, or remove ${ck.dir} to start over`,
        { cause: err },
      );
    }
    spec.main.optimizer.loadStateDict({
      tensors: loaded.groups[ck.optimizerGroup] ?? new Map(),
      meta: loaded.state.optimizer,
    });
    const records = ck.restore(loaded.state, loaded.groups);
    return { records: [...records], resumedFrom: loaded.state.epoch };
  } finally {
    for (const g of Object.values(loaded.groups)) dispose(g);
  }
}

function saveEpoch<R>(spec: TrainLoopSpec<R>, ck: LoopCheckpoint<R>, records: readonly R[], epoch: number): void {
  const optimizer = spec.main.optimizer.stateDict();
  const extra = ck.save(records, epoch);
  saveCheckpoint(
    ck.dir,
    { format: 'tsnas-checkpoint/1', epoch: epoch + 1, optimizer: optimizer.meta, run: extra.run },
    { model: spec.model.stateDict(), [ck.optimizerGroup]: optimizer.tensors, ...(extra.groups ?? {}) },
  );
}
