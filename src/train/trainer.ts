// The trainer: (model, recipe, data) -> per-epoch metrics and final accuracies. Every search
// trains candidates through it. A run checkpoints at epoch boundaries and resumes from them
// exactly (data order, augmentation and dropout are seeded per epoch); a loss that turns NaN or
// infinite ends that run with a failed status instead of throwing into the host process.
// The epochs, resume and checkpoints are the shared loop's (trainLoop.ts); this file brings the
// data, optimizer, weight EMA, distillation and evaluation.
import { upperMedian } from '../stats';
import { noGrad } from '../engine/autograd';
import { setNumThreads } from '../engine/runtime';
import { BatchLoader, type LoaderOptions } from '../data/loader';
import type { DataSource } from '../data/imageSet';
import { stratifiedSplit } from '../data/split';
import { allIndices } from '../data/split';
import type { Module } from '../nn/module';
import { ModelEma } from '../optim/ema';
import { learningRateAt } from '../optim/schedule';
import { classificationStep } from './classificationStep';
import { evaluate } from './evaluate';
import { makeOptimizer, scheduleOf } from './makeOptimizer';
import { DEFAULT_CROP_RATIO, DEFAULT_CROP_SCALE, splitSeedOf, type Recipe } from './recipe';
import { runTrainLoop } from './trainLoop';
import { CheckpointMismatchError, checkRunIdentity } from './checkpoint';

// Kept here for the code that imports it from the trainer.
export { clipGradNorm } from './clipGradNorm';

export interface EpochMetrics {
  epoch: number;
  loss: number;
  trainAcc: number;
  valAcc: number;
  valLoss: number;
  lr: number;
  seconds: number;
  imgPerSec: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
}

export interface TrainJob {
  /** Builds a fresh network (the recipe's dropout and stochastic depth already applied). */
  model: Module;
  recipe: Recipe;
  data: DataSource;
  /** Train on at most this many training images (a stratified subset), for budgets and quick runs. */
  limitTrain?: number;
  /** Train for this many epochs of the recipe's schedule (early stopping, e.g. FBNetV3's e). */
  stopAfterEpochs?: number;
  /** Evaluate on the test split at the end (final reports only; searches use validation). */
  test?: boolean;
  /** Checkpoint directory: written at every epoch end; an existing checkpoint is resumed. */
  checkpointDir?: string;
  /** Anything else to store in the checkpoint (space, arch...) so `eval` can rebuild the model. */
  runInfo?: Record<string, unknown>;
  /**
   * What defines the network trained (space, architecture, input, classes...): with the data, the
   * training subset and the recipe, the run's identity. A checkpoint of another identity is
   * refused (CheckpointMismatchError, thrown) before anything is loaded from it.
   */
  identity?: Record<string, unknown>;
  teacher?: Module;
  threads?: number;
  memoryFormat?: 'contiguous' | 'channels_last';
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (m: EpochMetrics) => void;
}

export interface TrainResult {
  status: 'complete' | 'failed';
  error?: string;
  epochs: EpochMetrics[];
  valAcc: number;
  testAcc: number | null;
  imgPerSec: number;
  /** Epoch the run resumed from (0 when fresh). */
  resumedFrom: number;
  seconds: number;
}

export class DivergedError extends Error {}

/** The loader's crop augmentation from the recipe's crop field, else the data set's default. */
export function cropOptions(r: Recipe, data: DataSource): Pick<LoaderOptions, 'cropPadding' | 'randomResizedCrop'> {
  const crop = r.crop ?? data.defaultCrop ?? 'pad';
  if (crop === 'random-resized') {
    return {
      cropPadding: 0,
      randomResizedCrop: { scale: r.cropScale ?? DEFAULT_CROP_SCALE, ratio: r.cropRatio ?? DEFAULT_CROP_RATIO },
    };
  }
  return { cropPadding: crop === 'pad' ? r.cropPadding : 0, randomResizedCrop: null };
}

/**
 * Trains job.model in place and returns its metrics. Never throws for a failed run; throws
 * CheckpointMismatchError when the checkpoint directory holds another run.
 */
export function train(job: TrainJob): TrainResult {
  const r = job.recipe;
  const t0 = performance.now();
  if (job.threads) setNumThreads(job.threads);
  const memoryFormat = job.memoryFormat ?? 'channels_last';
  const model = job.model.to({ memoryFormat }).train();
  const split = stratifiedSplit(job.data.train, r.valFraction, splitSeedOf(r), job.limitTrain);
  const common = { mean: job.data.mean, std: job.data.std, resize: r.resolution ?? undefined, memoryFormat };
  const trainLoader = new BatchLoader(job.data.train, split.train, {
    ...common,
    batchSize: r.batchSize,
    shuffle: true,
    seed: r.seed,
    dropLast: split.train.length > r.batchSize,
    ...cropOptions(r, job.data),
    flip: r.flip ?? job.data.flipByDefault,
    mixup: r.mixup,
  });
  const evalOpts = { ...common, batchSize: 256, shuffle: false, seed: 0 };
  const valLoader = split.val.length ? new BatchLoader(job.data.train, split.val, evalOpts) : null;
  const optimizer = makeOptimizer(model, r);
  const ema = r.ema ? new ModelEma(model, r.ema) : null;
  let epochs: EpochMetrics[] = [];
  let resumedFrom = 0;
  const lastEpoch = Math.min(r.epochs, job.stopAfterEpochs ?? r.epochs);
  // Epochs to stop after (stopAfterEpochs) are not part of it: a run stopped early may continue.
  const identity = { ...(job.identity ?? {}), data: job.data.spec, limitTrain: job.limitTrain ?? null, recipe: r };
  const result = (status: TrainResult['status'], error?: string, testAcc: number | null = null): TrainResult => ({
    status,
    error,
    epochs,
    valAcc: epochs.at(-1)?.valAcc ?? NaN,
    testAcc,
    imgPerSec: upperMedian(epochs.map((e) => e.imgPerSec)),
    resumedFrom,
    seconds: (performance.now() - t0) / 1000,
  });

  // The teacher only predicts: eval mode, so its BatchNorm uses (and keeps) its running statistics.
  const teacherWasTraining = job.teacher?.training ?? false;
  job.teacher?.eval();
  try {
    if (split.train.length === 0) {
      throw new Error(
        `no training images: ${job.data.train.name} with limitTrain ${job.limitTrain ?? 'none'} and valFraction ${r.valFraction} leaves an empty training split`,
      );
    }
    const evalModel = () =>
      ema
        ? ema.withAveragedWeights(() => valLoader && evaluate(model, valLoader))
        : valLoader && evaluate(model, valLoader);
    const run = runTrainLoop<EpochMetrics>({
      model,
      seed: r.seed,
      epochs: lastEpoch,
      main: {
        name: 'train',
        loader: trainLoader,
        optimizer,
        learningRate: (t) =>
          learningRateAt(t, r.lr, scheduleOf(r), { epochs: r.warmupEpochs, startFactor: r.warmupStartFactor }),
        step: classificationStep(model, r, job.teacher),
        afterUpdate: () => ema?.update(),
        diverged: ({ loss }, { epoch, batch, lr }) =>
          new DivergedError(
            `loss is ${loss} at epoch ${epoch + 1}, batch ${batch + 1} (learning rate ${lr.toPrecision(3)}): training diverged; lower the learning rate or set gradClip`,
          ),
      },
      endEpoch: ({ epoch, main, startedAt }) => {
        const val = evalModel();
        if (val && !Number.isFinite(val.loss)) {
          throw new DivergedError(
            `validation loss is ${val.loss} after epoch ${epoch + 1} (learning rate ${main.lastLr.toPrecision(3)}): the weights diverged; lower the learning rate or set gradClip`,
          );
        }
        return {
          epoch: epoch + 1,
          loss: main.loss,
          trainAcc: main.accuracy,
          valAcc: val?.accuracy ?? NaN,
          valLoss: val?.loss ?? NaN,
          lr: main.lastLr,
          seconds: (performance.now() - startedAt) / 1000,
          imgPerSec: main.images / main.seconds,
        };
      },
      checkpoint: job.checkpointDir
        ? {
            dir: job.checkpointDir,
            optimizerGroup: 'optim',
            save: (records) => ({
              run: {
                ...(job.runInfo ?? {}),
                recipe: r,
                data: job.data.spec,
                limitTrain: job.limitTrain ?? null,
                identity,
                epochs: records,
                ema: !!ema,
              },
              groups: ema ? { ema: ema.shadow } : undefined,
            }),
            validate: (state) => checkRunIdentity(state, identity, job.checkpointDir!),
            restore: (state, groups) => {
              if (ema && groups.ema)
                noGrad(() => {
                  for (const [k, t] of groups.ema!) ema.shadow.get(k)?.copy_(t);
                });
              return (state.run.epochs as EpochMetrics[]) ?? [];
            },
          }
        : undefined,
      onProgress:
        job.onProgress &&
        ((p) =>
          job.onProgress!({ epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batches, loss: p.loss })),
      onEpoch: job.onEpoch && ((m) => job.onEpoch!(m)),
    });
    epochs = run.records;
    resumedFrom = run.resumedFrom;
    if (!run.complete) throw run.error;

    let testAcc: number | null = null;
    if (job.test) {
      const testLoader = new BatchLoader(job.data.test, allIndices(job.data.test), evalOpts);
      try {
        testAcc = (ema ? ema.withAveragedWeights(() => evaluate(model, testLoader)) : evaluate(model, testLoader))
          .accuracy;
      } finally {
        testLoader.dispose();
      }
    }
    // The returned model carries the weights that were evaluated.
    if (ema) model.loadStateDict(ema.shadow);
    return result('complete', undefined, testAcc);
  } catch (err) {
    // Another run's checkpoint is not a failed run of this one: nothing was trained, nothing to record.
    if (err instanceof CheckpointMismatchError) throw err;
    return result('failed', err instanceof Error ? err.message : String(err));
  } finally {
    job.teacher?.train(teacherWasTraining);
    trainLoader.dispose();
    valLoader?.dispose();
    optimizer.dispose();
    ema?.dispose();
  }
}
