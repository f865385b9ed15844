// The trainer: (model, recipe, data) -> per-epoch metrics and final accuracies. Every search
// trains candidates through it. A run checkpoints at epoch boundaries and resumes from them
// exactly (data order, augmentation and dropout are seeded per epoch); a loss that turns NaN or
// infinite ends that run with a failed status instead of throwing into the host process.
import { seedEpoch } from './epochSeed';
import { noGrad } from '../engine/autograd';
import { dispose, tidy } from '../engine/memory';
import { setNumThreads } from '../engine/runtime';
import type { Tensor } from '../engine/tensor';
import { BatchLoader, disposeBatch, type Batch } from '../data/loader';
import type { DataSource } from '../data/imageSet';
import { stratifiedSplit } from '../data/split';
import { allIndices } from '../data/split';
import { crossEntropy, klDiv } from '../nn/functional';
import type { Module } from '../nn/module';
import { ModelEma } from '../optim/ema';
import { learningRateAt } from '../optim/schedule';
import { evaluate } from './evaluate';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { makeOptimizer, scheduleOf } from './makeOptimizer';
import type { Recipe } from './recipe';

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

/** Trains job.model in place and returns its metrics. Never throws for a failed run. */
export function train(job: TrainJob): TrainResult {
  const r = job.recipe;
  const t0 = performance.now();
  if (job.threads) setNumThreads(job.threads);
  const memoryFormat = job.memoryFormat ?? 'channels_last';
  const model = job.model.to({ memoryFormat }).train();
  const split = stratifiedSplit(job.data.train, r.valFraction, r.seed, job.limitTrain);
  const common = { mean: job.data.mean, std: job.data.std, resize: r.resolution ?? undefined, memoryFormat };
  const trainLoader = new BatchLoader(job.data.train, split.train, {
    ...common, batchSize: r.batchSize, shuffle: true, seed: r.seed, dropLast: split.train.length > r.batchSize,
    cropPadding: r.cropPadding, flip: r.flip ?? job.data.flipByDefault, mixup: r.mixup,
  });
  const evalOpts = { ...common, batchSize: 256, shuffle: false, seed: 0 };
  const valLoader = split.val.length ? new BatchLoader(job.data.train, split.val, evalOpts) : null;
  const optimizer = makeOptimizer(model, r);
  const ema = r.ema ? new ModelEma(model, r.ema) : null;
  const epochs: EpochMetrics[] = [];
  let resumedFrom = 0;
  const lastEpoch = Math.min(r.epochs, job.stopAfterEpochs ?? r.epochs);
  const result = (status: TrainResult['status'], error?: string, testAcc: number | null = null): TrainResult => ({
    status, error, epochs, valAcc: epochs.at(-1)?.valAcc ?? NaN, testAcc,
    imgPerSec: median(epochs.map((e) => e.imgPerSec)), resumedFrom, seconds: (performance.now() - t0) / 1000,
  });

  // The teacher only predicts: eval mode, so its BatchNorm uses (and keeps) its running statistics.
  const teacherWasTraining = job.teacher?.training ?? false;
  job.teacher?.eval();
  try {
    if (split.train.length === 0) {
      throw new Error(`no training images: ${job.data.train.name} with limitTrain ${job.limitTrain ?? 'none'} and valFraction ${r.valFraction} leaves an empty training split`);
    }
    if (job.checkpointDir && hasCheckpoint(job.checkpointDir)) {
      const ck = loadCheckpoint(job.checkpointDir);
      try {
        model.loadStateDict(ck.groups.model ?? new Map());
        optimizer.loadStateDict({ tensors: ck.groups.optim ?? new Map(), meta: ck.state.optimizer });
        if (ema && ck.groups.ema) noGrad(() => { for (const [k, t] of ck.groups.ema!) ema.shadow.get(k)?.copy_(t); });
        epochs.push(...((ck.state.run.epochs as EpochMetrics[]) ?? []));
        resumedFrom = ck.state.epoch;
      } finally {
        for (const g of Object.values(ck.groups)) dispose(g);
      }
    }

    const evalModel = () => (ema ? ema.withAveragedWeights(() => valLoader && evaluate(model, valLoader)) : valLoader && evaluate(model, valLoader));
    for (let epoch = resumedFrom; epoch < lastEpoch; epoch++) {
      // Dropout and stochastic depth draw from libtorch's generator: seed it per epoch for exact resume.
      seedEpoch(r.seed, epoch);
      const e0 = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = r.lr;
      const nb = trainLoader.batchesPerEpoch;
      let b = 0;
      for (const batch of trainLoader.epoch(epoch)) {
        try {
          lr = learningRateAt(epoch + b / nb, r.lr, scheduleOf(r), { epochs: r.warmupEpochs, startFactor: r.warmupStartFactor });
          optimizer.setLearningRate(lr);
          const { loss, hits } = trainStep(model, batch, r, job.teacher);
          if (!Number.isFinite(loss)) {
            throw new DivergedError(`loss is ${loss} at epoch ${epoch + 1}, batch ${b + 1} (learning rate ${lr.toPrecision(3)}): training diverged; lower the learning rate or set gradClip`);
          }
          optimizer.step();
          ema?.update();
          lossSum += loss * batch.size;
          correct += hits;
          seen += batch.size;
        } finally {
          disposeBatch(batch);
        }
        b++;
        job.onProgress?.({ epoch: epoch + 1, epochs: lastEpoch, batch: b, batches: nb, loss: lossSum / seen });
      }
      const trainSeconds = (performance.now() - e0) / 1000;
      const val = evalModel();
      if (val && !Number.isFinite(val.loss)) {
        throw new DivergedError(`validation loss is ${val.loss} after epoch ${epoch + 1} (learning rate ${lr.toPrecision(3)}): the weights diverged; lower the learning rate or set gradClip`);
      }
      const m: EpochMetrics = {
        epoch: epoch + 1, loss: lossSum / seen, trainAcc: correct / seen, valAcc: val?.accuracy ?? NaN,
        valLoss: val?.loss ?? NaN, lr, seconds: (performance.now() - e0) / 1000, imgPerSec: seen / trainSeconds,
      };
      epochs.push(m);
      job.onEpoch?.(m);
      if (job.checkpointDir) {
        const groups: Record<string, Map<string, Tensor>> = { model: model.stateDict(), optim: optimizer.stateDict().tensors };
        if (ema) groups.ema = ema.shadow;
        saveCheckpoint(job.checkpointDir, {
          format: 'tsnas-checkpoint/1', epoch: epoch + 1, optimizer: optimizer.stateDict().meta,
          run: { ...(job.runInfo ?? {}), recipe: r, data: job.data.spec, epochs, ema: !!ema },
        }, groups);
      }
    }

    let testAcc: number | null = null;
    if (job.test) {
      const testLoader = new BatchLoader(job.data.test, allIndices(job.data.test), evalOpts);
      try {
        testAcc = (ema ? ema.withAveragedWeights(() => evaluate(model, testLoader)) : evaluate(model, testLoader)).accuracy;
      } finally {
        testLoader.dispose();
      }
    }
    // The returned model carries the weights that were evaluated.
    if (ema) model.loadStateDict(ema.shadow);
    return result('complete', undefined, testAcc);
  } catch (err) {
    return result('failed', err instanceof Error ? err.message : String(err));
  } finally {
    job.teacher?.train(teacherWasTraining);
    trainLoader.dispose();
    valLoader?.dispose();
    optimizer.dispose();
    ema?.dispose();
  }
}

/** Forward, loss, backward for one batch; returns the loss value and correct predictions. */
function trainStep(model: Module, batch: Batch, r: Recipe, teacher?: Module): { loss: number; hits: number } {
  return tidy(() => {
    model.zeroGrad();
    const logits = model.forward(batch.x);
    const target = batch.target ?? batch.y;
    let loss = crossEntropy(logits, target, { labelSmoothing: r.labelSmoothing });
    if (teacher && r.distill) {
      const tLogits = noGrad(() => teacher.forward(batch.x));
      const T = r.distill.temperature;
      const kd = klDiv(logits.div(T).logSoftmax(1), tLogits.div(T).softmax(1), 'batchmean').mul(T * T);
      loss = kd.mul(r.distill.weight).add(loss.mul(1 - r.distill.weight));
    }
    const value = loss.item();
    if (!Number.isFinite(value)) return { loss: value, hits: 0 };
    loss.backward();
    if (r.gradClip > 0) clipGradNorm(model, r.gradClip);
    const hits = logits.argmax(1).eq(batch.y).sum().item();
    return { loss: value, hits };
  });
}

/** Scales all gradients so their global L2 norm is at most maxNorm (PyTorch's clip_grad_norm_). */
export function clipGradNorm(model: Module, maxNorm: number): number {
  return noGrad(() =>
    tidy(() => {
      const grads = model.parameters().map((p) => p.grad).filter((g): g is Tensor => g !== null);
      const total = Math.sqrt(grads.reduce((s, g) => s + g.norm(2).item() ** 2, 0));
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
