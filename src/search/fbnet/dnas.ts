// FBNet's search procedure (DNAS, fbnet.md section 5) over a supernet, resumable:
//
//  1. Split the training images 80/20 (stratified, seeded): 80% trains the weights w, 20% theta.
//  2. Epochs 1..W (warm-up): one pass over the 80% updating only w; masks are still sampled.
//  3. Later epochs: one pass over the 80% updating w (SGD, momentum 0.9, cosine learning rate,
//     weight decay 1e-4), then one pass over the 20% updating theta (Adam, lr 0.01, betas
//     0.9/0.999, weight decay 5e-4) with the loss CE * alpha * (log LAT)^beta.
//  4. After every epoch: anneal tau (x exp(-0.045)), record the per-layer distributions and the
//     expected cost, and checkpoint everything (supernet weights and theta, both optimizers,
//     records, tau, seed) atomically.
//
// The weight pass minimises the cross-entropy alone: the latency factor alpha (log LAT)^beta
// does not depend on w, so in the paper's loss it would only rescale the weights' learning rate
// by a theta-dependent amount. Weight decay skips 1-D tensors (BatchNorm, biases), as the trainer's.
//
// Exact resume: libtorch's generator (Gumbel noise, dropout) is seeded per epoch with
// seedEpoch(seed, epoch) (src/train/epochSeed.ts), data order per epoch by the loaders' seeded generators,
// the learning rate is a pure function of the fractional epoch and tau of the epoch, so a run
// resumed from the checkpoint of epoch k produces the records of an uninterrupted run.
// The epochs, both passes, resume and checkpoints run in the shared loop (src/train/trainLoop.ts);
// this file brings the supernet, its two optimizers and steps, the records and what the
// checkpoint carries for them.
import { manualSeed } from '../../engine/creation';
import { setNumThreads } from '../../engine/runtime';
import type { MemoryFormat } from '../../engine/tensor';
import { BatchLoader, type Batch } from '../../data/loader';
import type { DataSource } from '../../data/imageSet';
import { stratifiedSplit } from '../../data/split';
import { crossEntropy } from '../../nn/functional';
import { Adam } from '../../optim/adam';
import { SGD } from '../../optim/sgd';
import { learningRateAt } from '../../optim/schedule';
import type { Arch, Space } from '../../space/types';
import { runTrainLoop, type StepResult } from '../../train/trainLoop';
import { weightDecayGroups } from '../../train/weightDecayGroups';
import { architectureCost, expectedCost, type CandidateCosts, type CostUnit } from '../../supernet/candidateCosts';
import { archOfIndices, formatIndicesArch } from '../../supernet/layout';
import { DEFAULT_ALPHA, DEFAULT_BETA, dnasLoss } from './loss';
import { Supernet } from './supernet';
import { FBNET_TEMPERATURE, temperatureAt } from './temperature';

export interface DnasOptions {
  /** A layer-wise space (every searchable layer picks one op from a candidate list). */
  space: Space;
  data: DataSource;
  /** Per-candidate costs: a latency table's (us) or flopsCandidateCosts (MMAC / kMAC). */
  costs: CandidateCosts;
  /** Input CxHxW (default: the data's; a different square H = W resizes the images). */
  input?: readonly [number, number, number];
  /** Classes (default: the data's). */
  classes?: number;
  epochs: number;
  /** Epochs training only the weights (default round(epochs / 9): 10 of 90 in the paper). */
  warmupEpochs?: number;
  /** Batch size of both passes (default 64). */
  batchSize?: number;
  /** Loss CE * alpha * (log LAT)^beta (defaults 0.2, 0.6). */
  alpha?: number;
  beta?: number;
  /** Straight-through hard sampling: one candidate per layer per step (default false: soft sum). */
  hard?: boolean;
  /** Seeds the split, data order, weight initialisation and Gumbel noise (default 0). */
  seed?: number;
  /** Engine threads for this run. */
  threads?: number;
  /** Use at most this many training images (a stratified subset) before the 80/20 split. */
  limitTrain?: number;
  /** Share of the training images that trains theta (default 0.2). */
  thetaFraction?: number;
  /** Checkpoint directory: written after every epoch; an existing checkpoint there is resumed. */
  checkpointPath?: string;
  /** Base learning rate of the weights, cosine-decayed over all epochs. 0.1 in the paper (large
   *  GPU batches); default 0.05 for CPU batch sizes. */
  weightLr?: number;
  /** SGD momentum of the weights (0.9). */
  momentum?: number;
  /** Weight decay of the weights (1e-4), conv and linear weights only. */
  weightDecay?: number;
  /** Adam learning rate of theta (0.01). */
  thetaLr?: number;
  /** Adam weight decay of theta (5e-4). */
  thetaWeightDecay?: number;
  /** Adam betas of theta (0.9, 0.999). */
  thetaBetas?: [number, number];
  /** Temperature schedule: tau0 (5.0) times exp(-tauDecay (0.045)) per epoch. */
  tau0?: number;
  tauDecay?: number;
  /** Random crop padding and horizontal flips on the weight pass (default none). */
  cropPadding?: number;
  flip?: boolean;
  /** Activation layout (default channels_last, faster convs on CPU). */
  memoryFormat?: MemoryFormat;
  /** Called after each epoch, once its checkpoint is written, with the records of every epoch so far (a resumed run's included). */
  onEpoch?: (r: DnasEpochRecord, all: readonly DnasEpochRecord[]) => void;
  onProgress?: (p: DnasProgress) => void;
}

export interface DnasProgress {
  epoch: number;
  epochs: number;
  pass: 'weights' | 'theta';
  batch: number;
  batches: number;
  /** Mean loss of the pass so far (CE for weights, the full loss for theta). */
  loss: number;
}

export interface DnasEpochRecord {
  /** 1-based. */
  epoch: number;
  phase: 'warmup' | 'search';
  /** Temperature used during this epoch. */
  tau: number;
  /** Weight learning rate at the epoch's first step. */
  weightLr: number;
  /** softmax(theta_l) per layer after the epoch ([1] for a fixed layer). */
  distributions: number[][];
  /** Expected cost under softmax(theta), no noise, in `costUnit`. */
  expectedCost: number;
  costUnit: CostUnit;
  /** Weight pass over the 80% split: mean CE and accuracy of the sampled networks. */
  weightPass: { loss: number; accuracy: number; images: number };
  /** Theta pass over the 20% split (null in warm-up): mean loss, CE, accuracy, mean sampled LAT. */
  thetaPass: { loss: number; ce: number; accuracy: number; cost: number; images: number } | null;
  /** The per-layer argmax architecture after the epoch, its indices and cost. */
  argmax: string;
  argmaxIndices: number[];
  argmaxCost: number;
  seconds: number;
}

export interface DnasResult {
  records: DnasEpochRecord[];
  /** Final softmax(theta_l) per layer: what sampleArchitectures draws from. */
  distributions: number[][];
  /** The layers and candidates the distributions index. */
  layers: Array<{ key: string; name: string; candidates: string[] }>;
  costUnit: CostUnit;
  argmax: { arch: Arch; text: string; indices: number[]; cost: number };
  /** Epochs already done in the checkpoint this run resumed from (0 when fresh). */
  resumedFrom: number;
  seconds: number;
}

/** A non-finite loss ended the search; the checkpoint (if any) holds the last good epoch. */
export class DnasDivergedError extends Error {
  override name = 'DnasDivergedError';
}

const CHECKPOINT_KIND = 'fbnet-dnas/1';

interface Settings {
  epochs: number;
  warmupEpochs: number;
  batchSize: number;
  alpha: number;
  beta: number;
  hard: boolean;
  seed: number;
  thetaFraction: number;
  weightLr: number;
  momentum: number;
  weightDecay: number;
  thetaLr: number;
  thetaWeightDecay: number;
  thetaBetas: [number, number];
  tau0: number;
  tauDecay: number;
  cropPadding: number;
  flip: boolean;
  memoryFormat: MemoryFormat;
  input: [number, number, number];
  classes: number;
  limitTrain: number | null;
}

function settingsOf(o: DnasOptions): Settings {
  const d = o.data.train;
  const input: [number, number, number] = o.input
    ? [o.input[0], o.input[1], o.input[2]]
    : [d.channels, d.height, d.width];
  const s: Settings = {
    epochs: o.epochs,
    warmupEpochs: o.warmupEpochs ?? Math.round(o.epochs / 9),
    batchSize: o.batchSize ?? 64,
    alpha: o.alpha ?? DEFAULT_ALPHA,
    beta: o.beta ?? DEFAULT_BETA,
    hard: o.hard ?? false,
    seed: o.seed ?? 0,
    thetaFraction: o.thetaFraction ?? 0.2,
    weightLr: o.weightLr ?? 0.05,
    momentum: o.momentum ?? 0.9,
    weightDecay: o.weightDecay ?? 1e-4,
    thetaLr: o.thetaLr ?? 0.01,
    thetaWeightDecay: o.thetaWeightDecay ?? 5e-4,
    thetaBetas: o.thetaBetas ?? [0.9, 0.999],
    tau0: o.tau0 ?? FBNET_TEMPERATURE.tau0,
    tauDecay: o.tauDecay ?? FBNET_TEMPERATURE.decay,
    cropPadding: o.cropPadding ?? 0,
    flip: o.flip ?? false,
    memoryFormat: o.memoryFormat ?? 'channels_last',
    input,
    classes: o.classes ?? d.classes,
    limitTrain: o.limitTrain ?? null,
  };
  const bad: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) bad.push(what);
  };
  need(Number.isInteger(s.epochs) && s.epochs >= 1, `epochs must be a positive integer (got ${s.epochs})`);
  need(
    Number.isInteger(s.warmupEpochs) && s.warmupEpochs >= 0 && s.warmupEpochs < s.epochs,
    `warmupEpochs must be an integer in 0..epochs-1 (got ${s.warmupEpochs} with ${s.epochs} epochs), or no epoch trains theta`,
  );
  need(Number.isInteger(s.batchSize) && s.batchSize >= 1, `batchSize must be a positive integer (got ${s.batchSize})`);
  need(Number.isFinite(s.alpha) && s.alpha > 0, `alpha must be > 0 (got ${s.alpha})`);
  need(Number.isFinite(s.beta) && s.beta > 0, `beta must be > 0 (got ${s.beta})`);
  need(s.thetaFraction > 0 && s.thetaFraction < 1, `thetaFraction must be in (0, 1) (got ${s.thetaFraction})`);
  for (const k of ['weightLr', 'thetaLr', 'tau0'] as const)
    need(Number.isFinite(s[k]) && s[k] > 0, `${k} must be > 0 (got ${s[k]})`);
  for (const k of ['momentum', 'weightDecay', 'thetaWeightDecay', 'tauDecay', 'cropPadding'] as const)
    need(Number.isFinite(s[k]) && s[k] >= 0, `${k} must be >= 0 (got ${s[k]})`);
  need(
    s.thetaBetas.every((b) => b >= 0 && b < 1),
    `thetaBetas must be in [0, 1) (got ${s.thetaBetas})`,
  );
  need(s.input[0] === d.channels, `input has ${s.input[0]} channels but ${d.name} has ${d.channels}`);
  need(
    s.input[1] === s.input[2] || (s.input[1] === d.height && s.input[2] === d.width),
    `input ${s.input.join('x')} differs from the images (${d.height}x${d.width}) and is not square; only square resizing is supported`,
  );
  if (bad.length) throw new Error(`runDnas: invalid options:\n  ${bad.join('\n  ')}`);
  return s;
}

/** Everything that determines the records: a resumed run must match the checkpoint's. */
function configOf(o: DnasOptions, s: Settings, supernet: Supernet): Record<string, unknown> {
  return {
    space: o.space.name,
    layers: supernet.layout.layers.map((l) => `${l.key}:${l.candidates.map((c) => c.op).join(',')}`),
    data: o.data.spec,
    costs: { unit: o.costs.unit, perLayer: o.costs.perLayer, fixed: o.costs.fixed },
    ...s,
  };
}

function compareConfig(saved: Record<string, unknown>, now: Record<string, unknown>, dir: string): void {
  const keys = new Set([...Object.keys(saved), ...Object.keys(now)]);
  const diff = [...keys].filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
  if (diff.length) {
    const show = (v: unknown) => {
      const t = JSON.stringify(v) ?? 'undefined';
      return t.length > 80 ? `${t.slice(0, 77)}...` : t;
    };
    throw new Error(
      `checkpoint ${dir} is from a search with different settings (${diff.map((k) => `${k}: ${show(saved[k])} there, ${show(now[k])} now`).join('; ')}); ` +
        'resume with the same settings, or give another checkpoint path to start a new search',
    );
  }
}

/** Runs (or resumes) an FBNet search and returns its per-epoch records and final distributions. */
export function runDnas(o: DnasOptions): DnasResult {
  const t0 = performance.now();
  const s = settingsOf(o);
  if (o.threads) setNumThreads(o.threads);
  manualSeed(s.seed);
  const supernet = new Supernet(o.space, {
    costs: o.costs,
    input: s.input,
    classes: s.classes,
    hard: s.hard,
    tau: s.tau0,
  });
  const layout = supernet.layout;
  const loaders: BatchLoader[] = [];
  let wOpt: SGD | null = null;
  let aOpt: Adam | null = null;
  try {
    if (!layout.layers.some((l) => l.searchable)) {
      throw new Error(`space '${o.space.name}' has no layer with more than one candidate: nothing to search`);
    }
    supernet.to({ memoryFormat: s.memoryFormat }).train();
    const weights = new SGD(weightDecayGroups(supernet.weightParameters(), s.weightDecay), {
      lr: s.weightLr,
      momentum: s.momentum,
    });
    wOpt = weights;
    const theta = new Adam(supernet.architectureParameters(), {
      lr: s.thetaLr,
      beta1: s.thetaBetas[0],
      beta2: s.thetaBetas[1],
      weightDecay: s.thetaWeightDecay,
    });
    aOpt = theta;

    const set = o.data.train;
    const split = stratifiedSplit(set, s.thetaFraction, s.seed, s.limitTrain ?? undefined);
    if (split.train.length === 0 || split.val.length === 0) {
      throw new Error(
        `runDnas: ${set.name} with limitTrain ${s.limitTrain ?? 'none'} leaves ${split.train.length} images for the weights and ` +
          `${split.val.length} for theta; both need some: raise limitTrain`,
      );
    }
    const resize = s.input[1] !== set.height || s.input[2] !== set.width ? s.input[1] : undefined;
    const common = {
      mean: o.data.mean,
      std: o.data.std,
      resize,
      memoryFormat: s.memoryFormat,
      batchSize: s.batchSize,
      shuffle: true,
    };
    const wLoader = new BatchLoader(set, split.train, {
      ...common,
      seed: s.seed,
      dropLast: split.train.length > s.batchSize,
      cropPadding: s.cropPadding,
      flip: s.flip,
    });
    loaders.push(wLoader);
    const aLoader = new BatchLoader(set, split.val, {
      ...common,
      seed: s.seed + 1,
      dropLast: split.val.length > s.batchSize,
    });
    loaders.push(aLoader);

    const config = configOf(o, s, supernet);
    const dir = o.checkpointPath;
    const tauOf = (epoch: number) => temperatureAt(epoch, { tau0: s.tau0, decay: s.tauDecay });
    const cosine = { kind: 'cosine' as const, epochs: s.epochs };
    const searching = (epoch: number) => epoch >= s.warmupEpochs;
    const diverged = (what: string, loss: number, epoch: number, b: number, lr: string) =>
      new DnasDivergedError(
        `FBNet search: ${what} loss is ${loss} at epoch ${epoch + 1}, batch ${b} (${lr}, tau ${tauOf(epoch).toPrecision(3)}): the search diverged; ` +
          `lower weightLr or thetaLr.${dir ? ` The checkpoint in ${dir} holds the last good epoch (${epoch}); rerunning resumes from it.` : ''}`,
      );

    const run = runTrainLoop<DnasEpochRecord>({
      model: supernet,
      seed: s.seed,
      epochs: s.epochs,
      beginEpoch: (epoch) => {
        supernet.tau = tauOf(epoch);
      },
      // Weight pass over the 80% split.
      main: {
        name: 'weights',
        loader: wLoader,
        optimizer: weights,
        learningRate: (t) => learningRateAt(t, s.weightLr, cosine),
        begin: () => supernet.setTrainable(true, false),
        step: (batch) => weightStep(supernet, weights, batch),
        diverged: (r, ctx) =>
          diverged('weight-pass', r.loss, ctx.epoch, ctx.batch + 1, `weight lr ${ctx.lr.toPrecision(3)}`),
      },
      // Theta pass over the 20% split, after warm-up.
      second: {
        name: 'theta',
        loader: aLoader,
        optimizer: theta,
        when: searching,
        begin: () => supernet.setTrainable(false, true),
        step: (batch) => thetaStep(supernet, theta, batch, s.alpha, s.beta),
        diverged: (r, ctx) =>
          diverged(
            'theta-pass',
            r.loss,
            ctx.epoch,
            ctx.batch + 1,
            `theta lr ${s.thetaLr}, CE ${r.means?.ce}, LAT ${r.means?.cost}`,
          ),
      },
      endEpoch: ({ epoch, main, second, startedAt }) => {
        supernet.setTrainable(true, true);
        const distributions = supernet.distributions();
        const argmaxIndices = supernet.argmaxIndices();
        return {
          epoch: epoch + 1,
          phase: searching(epoch) ? 'search' : 'warmup',
          tau: tauOf(epoch),
          weightLr: main.firstLr,
          distributions,
          expectedCost: expectedCost(o.costs, distributions),
          costUnit: o.costs.unit,
          weightPass: { loss: main.loss, accuracy: main.accuracy, images: main.images },
          thetaPass: second && {
            loss: second.loss,
            ce: second.means.ce!,
            accuracy: second.accuracy,
            cost: second.means.cost!,
            images: second.images,
          },
          argmax: formatIndicesArch(layout, argmaxIndices),
          argmaxIndices,
          argmaxCost: architectureCost(o.costs, argmaxIndices),
          seconds: (performance.now() - startedAt) / 1000,
        };
      },
      checkpoint: dir
        ? {
            dir,
            optimizerGroup: 'wopt',
            save: (records, epoch) => {
              const asd = theta.stateDict();
              return {
                run: {
                  kind: CHECKPOINT_KIND,
                  config,
                  thetaOptimizer: asd.meta,
                  records,
                  tau: tauOf(epoch),
                  nextTau: tauOf(epoch + 1),
                  seed: s.seed,
                },
                groups: { aopt: asd.tensors },
              };
            },
            validate: (state) => {
              const run = state.run as DnasCheckpointRun;
              if (run.kind !== CHECKPOINT_KIND) {
                throw new Error(
                  `checkpoint ${dir} is not an FBNet search checkpoint (kind '${String(run.kind)}'); give another checkpoint path`,
                );
              }
              compareConfig(run.config ?? {}, config, dir);
            },
            restore: (state, groups) => {
              const run = state.run as DnasCheckpointRun;
              theta.loadStateDict({ tensors: groups.aopt ?? new Map(), meta: run.thetaOptimizer as never });
              return run.records ?? [];
            },
          }
        : undefined,
      onProgress: o.onProgress && ((p) => o.onProgress!({ ...p, pass: p.pass as DnasProgress['pass'] })),
      onEpoch: o.onEpoch,
    });
    if (!run.complete) throw run.error;
    const records = run.records;

    const distributions = supernet.distributions();
    const indices = supernet.argmaxIndices();
    return {
      records,
      distributions,
      layers: layout.layers.map((l) => ({ key: l.key, name: l.name, candidates: l.candidates.map((c) => c.op) })),
      costUnit: o.costs.unit,
      argmax: {
        arch: archOfIndices(layout, indices),
        text: formatIndicesArch(layout, indices),
        indices,
        cost: architectureCost(o.costs, indices),
      },
      resumedFrom: run.resumedFrom,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const l of loaders) l.dispose();
    wOpt?.dispose();
    aOpt?.dispose();
    supernet.dispose();
  }
}

/** What a DNAS checkpoint's `run` holds beside the loop's state. */
interface DnasCheckpointRun {
  kind?: string;
  config?: Record<string, unknown>;
  thetaOptimizer?: unknown;
  records?: DnasEpochRecord[];
}

/** Gradients of the weights from the cross-entropy of a sampled network (the loop applies SGD). */
function weightStep(supernet: Supernet, opt: SGD, batch: Batch): StepResult {
  opt.zeroGrad();
  const { logits } = supernet.forwardWithCost(batch.x);
  const ce = crossEntropy(logits, batch.y);
  const loss = ce.item();
  if (!Number.isFinite(loss)) return { loss, hits: 0 };
  ce.backward();
  return { loss, hits: logits.argmax(1).eq(batch.y).sum().item() };
}

/** Gradients of theta from CE * alpha * (log LAT)^beta (the loop applies Adam). */
function thetaStep(supernet: Supernet, opt: Adam, batch: Batch, alpha: number, beta: number): StepResult {
  opt.zeroGrad();
  const { logits, cost } = supernet.forwardWithCost(batch.x);
  const ceT = crossEntropy(logits, batch.y);
  const lossT = dnasLoss(ceT, cost, alpha, beta);
  const [loss, ce, lat] = [lossT.item(), ceT.item(), cost.item()];
  if (!Number.isFinite(loss)) return { loss, hits: 0, means: { ce, cost: lat } };
  lossT.backward();
  return { loss, hits: logits.argmax(1).eq(batch.y).sum().item(), means: { ce, cost: lat } };
}
