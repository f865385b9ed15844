// SPOS's supernet training (Guo et al. 2020): every step samples one path (uniform over the
// active ops, optionally within cost bins and the constraints: pathSampler.ts), runs forward and
// backward through that path only, and updates only its weights. Only the ops on the path are in
// the graph, so only their parameters get a gradient; the optimizer skips a parameter without
// one (src/optim/optimizer.ts), so an op off the path gets no momentum and no weight decay that
// step either (gradients are cleared, not zeroed, before every step).
//
// Runs in the shared loop (src/train/trainLoop.ts): SGD with momentum, weight decay on conv and
// linear weights only, a cosine learning rate over the run's epochs, libtorch's generator seeded
// per epoch, the path of step s drawn from the loop's per-step generator (so a resumed run samples
// the paths an uninterrupted one does), and a checkpoint at every epoch end that a rerun resumes.
import type { Batch, BatchLoader } from '../data/loader';
import { crossEntropy } from '../nn/functional';
import { SGD } from '../optim/sgd';
import { learningRateAt } from '../optim/schedule';
import { identityDifferences } from '../train/checkpoint';
import { runTrainLoop, type StepResult } from '../train/trainLoop';
import { weightDecayGroups } from '../train/weightDecayGroups';
import type { PathSampler } from './pathSampler';
import type { SupernetNetwork } from './supernetNetwork';

export interface OneShotEpochRecord {
  /** 1-based, within this run. */
  epoch: number;
  /** Mean loss and accuracy of the sampled paths over the epoch. */
  loss: number;
  accuracy: number;
  images: number;
  lr: number;
  seconds: number;
}

export interface OneShotTrainOptions {
  supernet: SupernetNetwork;
  loader: BatchLoader;
  sampler: PathSampler;
  epochs: number;
  /** Base learning rate (cosine to 0 over `epochs`), momentum, weight decay (conv and linear weights). */
  lr: number;
  momentum?: number;
  weightDecay?: number;
  /** Seeds the paths (with the step) and libtorch's generator per epoch. */
  seed: number;
  /** A checkpoint directory: written after every epoch, resumed when present. */
  checkpointDir?: string;
  /** What must match for a checkpoint to be resumed (settings, space, the active ops). */
  identity?: Record<string, unknown>;
  onEpoch?: (r: OneShotEpochRecord, all: readonly OneShotEpochRecord[]) => void;
  onProgress?: (p: { epoch: number; epochs: number; batch: number; batches: number; loss: number }) => void;
}

export interface OneShotTrainResult {
  records: OneShotEpochRecord[];
  /** Epochs done in the checkpoint the run resumed from (0 when fresh). */
  resumedFrom: number;
}

const CHECKPOINT_KIND = 'one-shot-supernet/1';

/** One SPOS step on a path: cross-entropy of the path's logits, backward (the loop applies SGD). */
export function pathStep(supernet: SupernetNetwork, opt: SGD, batch: Batch, path: readonly number[]): StepResult {
  opt.zeroGrad();
  const logits = supernet.forwardPath(batch.x, path);
  const ce = crossEntropy(logits, batch.y);
  const loss = ce.item();
  if (!Number.isFinite(loss)) return { loss, hits: 0 };
  ce.backward();
  return { loss, hits: logits.argmax(1).eq(batch.y).sum().item() };
}

/** Trains (or resumes training) a one-shot supernet; throws when the loss diverges or a checkpoint does not fit. */
export function trainOneShot(o: OneShotTrainOptions): OneShotTrainResult {
  const { supernet, sampler } = o;
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0))
    throw new Error(`trainOneShot: epochs must be a non-negative integer, got ${o.epochs}`);
  if (!(o.lr > 0)) throw new Error(`trainOneShot: lr must be positive, got ${o.lr}`);
  const opt = new SGD(weightDecayGroups(supernet.parameters(), o.weightDecay ?? 4e-5), {
    lr: o.lr,
    momentum: o.momentum ?? 0.9,
  });
  const identity = { kind: CHECKPOINT_KIND, epochs: o.epochs, lr: o.lr, seed: o.seed, ...(o.identity ?? {}) };
  let path: number[] = [];
  try {
    supernet.train();
    const run = runTrainLoop<OneShotEpochRecord>({
      model: supernet,
      seed: o.seed,
      epochs: o.epochs,
      main: {
        name: 'one-shot',
        loader: o.loader,
        optimizer: opt,
        learningRate: (t) => learningRateAt(t, o.lr, { kind: 'cosine', epochs: o.epochs }),
        beforeStep: (ctx) => {
          const p = sampler.draw(ctx.rng());
          if (!p)
            throw new Error(
              `one-shot training: no path of the space meets the constraints in the sampler's tries (step ${ctx.step}); loosen the constraints`,
            );
          path = p;
        },
        step: (batch) => pathStep(supernet, opt, batch, path),
        diverged: (r, ctx) =>
          new Error(
            `one-shot training: the loss is ${r.loss} at epoch ${ctx.epoch + 1}, batch ${ctx.batch + 1} (lr ${ctx.lr.toPrecision(3)}); ` +
              `lower the learning rate${o.checkpointDir ? `; the checkpoint in ${o.checkpointDir} holds the last good epoch` : ''}`,
          ),
      },
      endEpoch: ({ epoch, main, startedAt }) => ({
        epoch: epoch + 1,
        loss: main.loss,
        accuracy: main.accuracy,
        images: main.images,
        lr: main.firstLr,
        seconds: (performance.now() - startedAt) / 1000,
      }),
      checkpoint: o.checkpointDir
        ? {
            dir: o.checkpointDir,
            optimizerGroup: 'optim',
            save: (records) => ({ run: { identity, records } }),
            validate: (state) => {
              const saved = (state.run.identity ?? {}) as Record<string, unknown>;
              const diff = identityDifferences(saved, identity);
              if (diff.length)
                throw new Error(
                  `checkpoint ${o.checkpointDir} is from another one-shot training (${diff.join('; ')}); ` +
                    'resume with the same settings, or remove the directory to start over',
                );
            },
            restore: (state) => (state.run.records ?? []) as OneShotEpochRecord[],
          }
        : undefined,
      onProgress: o.onProgress,
      onEpoch: o.onEpoch,
    });
    if (!run.complete) throw run.error;
    return { records: run.records, resumedFrom: run.resumedFrom };
  } finally {
    opt.dispose();
  }
}
