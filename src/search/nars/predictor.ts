// FBNetV3's predictor on the tsnas engine (spec fbnetv3.md 3): an architecture encoder (an MLP over
// the architecture's features: one-hot for sets, min-max for ranges) whose output is the
// architecture embedding, and two heads: a proxy head predicting the free statistics (log FLOPs,
// log params, log table latency, each standardised) from the embedding, and an accuracy head
// reading [embedding, recipe features]. Huber loss (delta 1) throughout.
//
//   pretrain: encoder + proxy head on the pool's statistics, 80% train / 20% validation; the
//             validation's rank correlations and MAPE (original units) are the record.
//   refit:    from the pretrained weights every time: `headEpochs` epochs of the accuracy head
//             with the embedding frozen, then `fineEpochs` of encoder + accuracy head at the lower
//             `fineLr`. Targets are the objective's values standardised over the data (so the
//             Huber threshold of 1 is one standard deviation); predictions come back in its units.
//
// Everything that makes tensors runs in tidy scopes; a model's parameters are the only tensors
// that outlive a call, and `dispose()` frees them. Weights are safetensors files with the
// standardisation constants in the metadata.
import { noGrad } from '../../engine/autograd';
import { cat, manualSeed, tensor } from '../../engine/creation';
import { tidy } from '../../engine/memory';
import { getNumThreads, setNumThreads } from '../../engine/runtime';
import { loadSafetensors, saveSafetensors } from '../../engine/safetensors';
import type { Tensor } from '../../engine/tensor';
import { Sequential } from '../../nn/containers';
import { ReLU } from '../../nn/activations';
import { huberLoss } from '../../nn/functional';
import { Linear } from '../../nn/linear';
import { Module } from '../../nn/module';
import { Adam } from '../../optim/adam';
import { Rng } from '../../random/rng';
import { kendallTau, spearman } from '../../stats/correlation';
import type { Matrix } from './encoding';

export interface PredictorShape {
  archFeatures: number;
  recipeFeatures: number;
  /** Free statistics the proxy head predicts (at least 1). */
  stats: number;
  hidden: number;
  embedding: number;
  headHidden: number;
}

/** What a weights file carries besides the tensors. */
export interface PredictorMeta {
  shape: PredictorShape;
  /** The statistics, in the proxy head's order ('flops', 'params', 'latency'). */
  statNames: string[];
  /** Standardisation of log(statistic) (the pretraining split's). */
  statMean: number[];
  statSd: number[];
  /** Standardisation of the accuracy head's targets; null before the first refit. */
  target: { mean: number; sd: number } | null;
}

export class NarsPredictor extends Module {
  readonly encoder: Sequential;
  readonly proxy: Linear;
  readonly head: Sequential;

  constructor(readonly shape: PredictorShape) {
    super();
    const s = shape;
    this.encoder = this.registerModule(
      'encoder',
      new Sequential(new Linear(s.archFeatures, s.hidden), ReLU(), new Linear(s.hidden, s.embedding), ReLU()),
    );
    this.proxy = this.registerModule('proxy', new Linear(s.embedding, Math.max(1, s.stats)));
    this.head = this.registerModule(
      'head',
      new Sequential(new Linear(s.embedding + s.recipeFeatures, s.headHidden), ReLU(), new Linear(s.headHidden, 1)),
    );
  }

  /** The accuracy head's output [B] (standardised units). */
  forward(xa: Tensor, xr?: Tensor): Tensor {
    return this.score(this.encoder.forward(xa), xr);
  }

  /** The accuracy head on a given embedding. */
  score(embedding: Tensor, xr?: Tensor): Tensor {
    return tidy(() => {
      const input = xr && this.shape.recipeFeatures ? cat([embedding, xr], 1) : embedding;
      return this.head.forward(input).flatten();
    });
  }

  /** The proxy head's output [B, stats] (standardised log statistics). */
  statistics(xa: Tensor): Tensor {
    return tidy(() => this.proxy.forward(this.encoder.forward(xa)));
  }

  parametersOf(part: 'encoder' | 'proxy' | 'head'): Tensor[] {
    return this[part].parameters();
  }
}

/** A model of this shape, its initial weights seeded. */
export function newPredictor(shape: PredictorShape, seed: number): NarsPredictor {
  manualSeed(seed);
  return new NarsPredictor(shape);
}

export function savePredictor(file: string, model: NarsPredictor, meta: PredictorMeta): void {
  saveSafetensors(file, model.stateDict(), { nars: JSON.stringify(meta) });
}

/** Reads a weights file; the caller disposes the model. */
export function loadPredictor(file: string): { model: NarsPredictor; meta: PredictorMeta } {
  const { tensors, metadata } = loadSafetensors(file);
  try {
    if (!metadata.nars)
      throw new Error(`${file} is not a NARS predictor's weights file (no 'nars' metadata); delete it to retrain`);
    const meta = JSON.parse(metadata.nars) as PredictorMeta;
    const model = new NarsPredictor(meta.shape);
    try {
      model.loadStateDict(tensors);
    } catch (err) {
      model.dispose();
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
    return { model, meta };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Runs fn with the engine's intra-op threads set to n, then puts the old value back. */
export function withThreads<T>(n: number, fn: () => T): T {
  const before = getNumThreads();
  if (before !== n) setNumThreads(n);
  try {
    return fn();
  } finally {
    if (before !== n) setNumThreads(before);
  }
}

const rowsOf = (m: Matrix, idx: ArrayLike<number>): Float32Array => {
  const out = new Float32Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++) out.set(m.data.subarray(idx[i]! * m.cols, (idx[i]! + 1) * m.cols), i * m.cols);
  return out;
};

const asTensor = (m: Matrix, idx?: ArrayLike<number>): Tensor =>
  idx ? tensor(rowsOf(m, idx), [idx.length, m.cols]) : tensor(m.data, [m.rows, m.cols]);
/** Recipe features, or nothing when the search has none. */
const recipeTensor = (m: Matrix, idx: ArrayLike<number>): Tensor | undefined => (m.cols ? asTensor(m, idx) : undefined);

interface FitOptions {
  params: Tensor[];
  rows: number;
  epochs: number;
  batchSize: number;
  lr: number;
  rng: Rng;
  /** The loss of one batch (row indices); runs inside the step's memory scope. */
  loss: (idx: Int32Array) => Tensor;
  model: Module;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/** Adam over shuffled mini-batches; the mean training loss of every epoch. */
function fit(o: FitOptions): number[] {
  const losses: number[] = [];
  if (!o.rows || !o.epochs) return losses;
  const opt = new Adam(o.params, { lr: o.lr });
  try {
    for (let e = 0; e < o.epochs; e++) {
      const perm = o.rng.permutation(o.rows);
      let sum = 0;
      let batches = 0;
      for (let b = 0; b < o.rows; b += o.batchSize) {
        const idx = perm.subarray(b, Math.min(o.rows, b + o.batchSize));
        sum += tidy(() => {
          o.model.zeroGrad();
          const loss = o.loss(idx);
          loss.backward();
          opt.step();
          return loss.item();
        });
        batches++;
      }
      losses.push(sum / batches);
      o.onEpoch?.(e + 1, sum / batches);
    }
  } finally {
    opt.dispose();
    o.model.zeroGrad();
  }
  return losses;
}

const mean = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
};
const sd = (v: ArrayLike<number>, m: number) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return Math.sqrt(s / v.length) || 1;
};

export interface StatValidation {
  stat: string;
  spearman: number;
  kendall: number;
  /** Mean absolute percentage error, in the statistic's own units (a fraction: 0.05 = 5%). */
  mape: number;
}

export interface PretrainInput {
  /** Architecture features of the pool. */
  xa: Matrix;
  /** The free statistics of every pool pair (positive), one array per statistic. */
  stats: ReadonlyArray<{ name: string; values: ArrayLike<number> }>;
  shape: Omit<PredictorShape, 'archFeatures' | 'stats'>;
  seed: number;
  epochs: number;
  lr: number;
  batchSize: number;
  threads: number;
  /** Held out for validation (the paper: 20%). */
  valFraction?: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface PretrainResult {
  model: NarsPredictor;
  meta: PredictorMeta;
  train: number;
  val: number;
  /** Mean training loss per epoch. */
  losses: number[];
  validation: StatValidation[];
}

/**
 * Stage 1: encoder + proxy head on the statistics (see the file comment). With 0 epochs the model
 * keeps its seeded initial weights (no pretraining) and the validation says how they predict.
 */
export function pretrainPredictor(i: PretrainInput): PretrainResult {
  return withThreads(i.threads, () => {
    const n = i.xa.rows;
    const rng = new Rng(i.seed);
    const order = rng.permutation(n);
    const nVal = n >= 5 ? Math.max(1, Math.round(n * (i.valFraction ?? 0.2))) : 0;
    const valIdx = order.subarray(0, nVal);
    const trainIdx = order.subarray(nVal);
    const logs = i.stats.map((s) => Float64Array.from(s.values as ArrayLike<number>, (v) => Math.log(v)));
    const statMean = logs.map((l) => mean(Array.from(trainIdx, (k) => l[k]!)));
    const statSd = logs.map((l, j) =>
      sd(
        Array.from(trainIdx, (k) => l[k]!),
        statMean[j]!,
      ),
    );
    const z = new Float32Array(n * logs.length);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < logs.length; j++) z[r * logs.length + j] = (logs[j]![r]! - statMean[j]!) / statSd[j]!;
    const zm: Matrix = { data: z, rows: n, cols: logs.length };
    const shape: PredictorShape = { ...i.shape, archFeatures: i.xa.cols, stats: logs.length };
    const model = newPredictor(shape, i.seed);
    try {
      const losses = fit({
        params: [...model.parametersOf('encoder'), ...model.parametersOf('proxy')],
        rows: trainIdx.length,
        epochs: i.epochs,
        batchSize: i.batchSize,
        lr: i.lr,
        rng,
        model,
        loss: (idx) => {
          const rows = Array.from(idx, (k) => trainIdx[k]!);
          return huberLoss(model.statistics(asTensor(i.xa, rows)), asTensor(zm, rows));
        },
        onEpoch: i.onEpoch,
      });
      const validation: StatValidation[] = [];
      if (nVal) {
        const pred = noGrad(() => tidy(() => model.statistics(asTensor(i.xa, valIdx)).toArray()));
        i.stats.forEach((s, j) => {
          const truth = Array.from(valIdx, (k) => Number(s.values[k]!));
          const p = Array.from(valIdx, (_, r) => Math.exp(pred[r * logs.length + j]! * statSd[j]! + statMean[j]!));
          validation.push({
            stat: s.name,
            spearman: spearman(p, truth),
            kendall: kendallTau(p, truth),
            mape: mean(p.map((v, r) => Math.abs(v - truth[r]!) / truth[r]!)),
          });
        });
      }
      const meta: PredictorMeta = { shape, statNames: i.stats.map((s) => s.name), statMean, statSd, target: null };
      return { model, meta, train: trainIdx.length, val: nVal, losses, validation };
    } catch (err) {
      model.dispose();
      throw err;
    }
  });
}

export interface RefitInput {
  xa: Matrix;
  xr: Matrix;
  /** The objective's values, higher better (the caller flips a minimised one). */
  y: ArrayLike<number>;
  seed: number;
  headEpochs: number;
  headLr: number;
  fineEpochs: number;
  fineLr: number;
  batchSize: number;
  threads: number;
}

export interface RefitResult {
  meta: PredictorMeta;
  /** Mean training loss per epoch, head epochs first. */
  losses: number[];
  /** How the refit model ranks and fits its own training data. */
  train: { spearman: number; kendall: number; mae: number };
}

/** Refits the accuracy head (and then the whole model) in place; `model` starts from the pretrained weights. */
export function refitPredictor(model: NarsPredictor, meta: PredictorMeta, i: RefitInput): RefitResult {
  return withThreads(i.threads, () => {
    const n = i.xa.rows;
    const ys = Float64Array.from(i.y as ArrayLike<number>);
    const m = mean(ys);
    const s = sd(ys, m);
    const yz: Matrix = { data: Float32Array.from(ys, (v) => (v - m) / s), rows: n, cols: 1 };
    const rng = new Rng(i.seed);
    const batchSize = Math.min(i.batchSize, 32);
    const target = (idx: Int32Array) => asTensor(yz, idx).flatten();
    const head = fit({
      params: model.parametersOf('head'),
      rows: n,
      epochs: i.headEpochs,
      batchSize,
      lr: i.headLr,
      rng,
      model,
      loss: (idx) => {
        const emb = noGrad(() => model.encoder.forward(asTensor(i.xa, idx)));
        return huberLoss(model.score(emb, recipeTensor(i.xr, idx)), target(idx));
      },
    });
    const fine = fit({
      params: [...model.parametersOf('encoder'), ...model.parametersOf('head')],
      rows: n,
      epochs: i.fineEpochs,
      batchSize,
      lr: i.fineLr,
      rng,
      model,
      loss: (idx) => huberLoss(model.forward(asTensor(i.xa, idx), recipeTensor(i.xr, idx)), target(idx)),
    });
    const next: PredictorMeta = { ...meta, target: { mean: m, sd: s } };
    const p = predictScores(model, next, i.xa, i.xr);
    const truth = Array.from(ys);
    return {
      meta: next,
      losses: [...head, ...fine],
      train: {
        spearman: spearman(Array.from(p), truth),
        kendall: kendallTau(Array.from(p), truth),
        mae: mean(Array.from(p, (v, r) => Math.abs(v - truth[r]!))),
      },
    };
  });
}

/** Predicted objective values (its own units, higher better) of every row; in chunks of 4096 rows. */
export function predictScores(model: NarsPredictor, meta: PredictorMeta, xa: Matrix, xr: Matrix): Float64Array {
  const out = new Float64Array(xa.rows);
  const t = meta.target ?? { mean: 0, sd: 1 };
  const chunk = 4096;
  noGrad(() => {
    for (let b = 0; b < xa.rows; b += chunk) {
      const idx = Array.from({ length: Math.min(chunk, xa.rows - b) }, (_, k) => b + k);
      const v = tidy(() => model.forward(asTensor(xa, idx), recipeTensor(xr, idx)).toArray());
      for (let k = 0; k < v.length; k++) out[b + k] = v[k]! * t.sd + t.mean;
    }
  });
  return out;
}
