// NSE's rounds (../shared/spec/nse.md section 3, our reading; docs/nse.md), resumable:
//
//  1. The pool: every layer's candidates in the space. Their exploration order is a seeded
//     shuffle; S_0 is the first `subsetSize` of each layer's order (pool.ts).
//  2. Round r builds the gated supernet over S_r (gatedSupernet.ts), inheriting from round r-1's
//     final checkpoint every tensor whose name it has (the kept ops' weights, the stem, head and
//     classifier, BatchNorm statistics); new ops start fresh and every gate at p = 0.5, so the
//     round's probabilities compare old and new ops over the same steps.
//  3. `epochs` epochs (src/train/trainLoop.ts): a weight pass over the training split (the drawn
//     gates' ops run, SGD with momentum 0.9, cosine over the round, weight decay 1e-4 on conv and
//     linear weights; ops that did not run get no update) and an alpha pass over the validation
//     split (REINFORCE with the resource penalty, Adam).
//  4. Scores (`options.score`, opScores.ts): the gates' probabilities, ABS's angle from each op's initial
//     weights (initialWeights.ts), or the mean of the two ranks. The round's chosen architecture
//     (per layer the ops whose probability is at or above the threshold, whatever the score, at
//     most the space's `branches`, at least one; trimmed to the study's constraints) is scored
//     one-shot: its child network with the supernet's weights, BatchNorm recalibrated on training
//     batches, accuracy on the validation split.
//  5. The best `keep` per layer by score stay, unexplored ops refill the subset; the run ends when
//     the pool is exhausted or after `rounds` rounds. The last round's choice is the final
//     architecture.
//
// Resume: each round trains in its own checkpoint directory (round-<r>/ under `dir`, written after
// every epoch), and rounds.json lists the finished rounds; a rerun skips those and resumes the
// round in progress at the epoch its checkpoint reached. Every draw is a function of (seed, round,
// epoch, step), so a resumed run records what an uninterrupted one does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed } from '../../engine/creation';
import { makeDirs } from '../../io/outputPath';
import { tidy } from '../../engine/memory';
import { archCost } from '../../cost/netCost';
import type { Rng } from '../../random/rng';
import { setNumThreads } from '../../engine/runtime';
import { BatchLoader, type Batch } from '../../data/loader';
import type { DataSource } from '../../data/imageSet';
import { stratifiedSplit } from '../../data/split';
import { crossEntropy } from '../../nn/functional';
import { noGrad } from '../../engine/autograd';
import { Adam } from '../../optim/adam';
import { SGD } from '../../optim/sgd';
import { learningRateAt } from '../../optim/schedule';
import { deriveSeed, hashString, rngFor } from '../../random/seeds';
import { formatArch } from '../../space/archFormat';
import type { Arch, Space } from '../../space/types';
import type { Tensor } from '../../engine/tensor';
import type { CandidateCosts } from '../../supernet/candidateCosts';
import { archOfBranchPath, extractBranchChildNetwork } from '../../supernet/branchChildNetwork';
import { archOfIndices, supernetLayout, type SupernetLayout } from '../../supernet/layout';
import { disposeSnapshot } from '../../supernet/pathAngle';
import { childOneShotAccuracy } from '../../supernet/oneShotAccuracy';
import { hasCheckpoint, loadCheckpoint, readCheckpointState } from '../../train/checkpoint';
import { runTrainLoop, type StepResult } from '../../train/trainLoop';
import { weightDecayGroups } from '../../train/weightDecayGroups';
import { GatedSupernet } from './gatedSupernet';
import { roundInitialWeights } from './initialWeights';
import { angleScores, roundScores, type NseScoreKind } from './opScores';
import type { NseOptions } from './options';
import { explorationOrder, initialSubsets, nextSubsets, selectBranches, trimToFit, unexplored } from './pool';

/** One epoch of a round. */
export interface NseEpochRecord {
  /** 1-based within the round. */
  epoch: number;
  /** Weight pass: mean CE, accuracy, mean branches per layer that ran. */
  weightLoss: number;
  weightAcc: number;
  branches: number;
  /** Alpha pass on the validation split: mean CE and accuracy of the drawn networks. */
  valLoss: number;
  valAcc: number;
  /** sigmoid(alpha) per layer after the epoch. */
  probabilities: number[][];
  /** E[cost] under the gates, in the costs' unit (the sum over ops of p * cost, plus the fixed layers). */
  expectedCost: number;
  seconds: number;
}

/** A finished round: what it searched, how the ops scored, what left and entered after it. */
export interface NseRoundRecord {
  /** 0-based. */
  round: number;
  /** S_r: per layer the ops of the round's supernet. */
  subsets: string[][];
  /** Per layer, per op of the subset: sigmoid(alpha) after the round. */
  probabilities: number[][];
  /** What decided the kept ops (`options.score`); absent in rounds recorded before the option: probability. */
  score?: NseScoreKind;
  /** Per layer, per op: the deciding score (higher is better; the probability, the angle, or the mean rank). */
  scores?: number[][];
  /** Per layer, per op: ABS's mean path angle in radians (null: no feasible path held the op); null with `score` probability. */
  angles?: Array<Array<number | null>> | null;
  /** The round's chosen architecture (study space string) and its ops per layer. */
  selected: string;
  selectedOps: string[][];
  /** Branches the constraints removed from the threshold's choice. */
  trimmed: Array<{ layer: number; op: string }>;
  /** False when even one branch per layer breaks the constraints (the round's ops are all too costly). */
  withinConstraints: boolean;
  /** Validation accuracy of the chosen architecture one-shot (supernet weights, BatchNorm recalibrated). */
  oneShotAcc: number;
  /** Its MACs (batch 1) and parameters. */
  flops: number;
  params: number;
  /** Per layer: kept, dropped and added for the next round (empty when this round is the last). */
  kept: string[][];
  dropped: string[][];
  added: string[][];
  /** S_{r+1}, or null when the run ends with this round. */
  next: string[][] | null;
  /** Why the run ends here ('pool exhausted', 'round limit'), or null. */
  end: string | null;
  epochs: NseEpochRecord[];
  seconds: number;
}

export interface NseRunOptions {
  space: Space;
  data: DataSource;
  /** Per-candidate costs over the WHOLE pool (supernetLayout(space) order): FLOPs or a table's latency. */
  costs: CandidateCosts;
  input: [number, number, number];
  classes: number;
  options: NseOptions;
  seed: number;
  /** Work directory: rounds.json and round-<r>/ checkpoints; an existing one is resumed. */
  dir: string;
  /** The study's constraints on an architecture (the selection is trimmed until it fits). */
  fits?: (arch: Arch) => boolean;
  /** Study-level limits (the options' limitTrain / threads win). */
  limitTrain?: number;
  threads?: number;
  onEpoch?: (round: number, record: NseEpochRecord) => void;
  onRound?: (record: NseRoundRecord, all: readonly NseRoundRecord[]) => void;
  onProgress?: (p: {
    round: number;
    epoch: number;
    epochs: number;
    pass: string;
    batch: number;
    batches: number;
  }) => void;
}

export interface NseRunResult {
  rounds: NseRoundRecord[];
  /** The final architecture: the last round's choice. */
  final: { arch: string; ops: string[][] };
  /** Rounds already finished when this run started. */
  resumedRounds: number;
}

const ROUNDS_FILE = 'rounds.json';
const KIND = 'tsnas-nse/1';
export const roundDir = (dir: string, r: number): string => path.join(dir, `round-${r}`);

/** The layout of a round's supernet: the study layout with each layer's candidates cut to the subset. */
export function subsetLayout(full: SupernetLayout, subsets: readonly (readonly string[])[]): SupernetLayout {
  return {
    ...full,
    layers: full.layers.map((l, n) => {
      const candidates = subsets[n]!.map((op) => {
        const c = l.candidates.find((x) => x.op === op);
        if (!c) throw new Error(`${l.key}: '${op}' is not in the pool (${l.candidates.map((x) => x.op).join(', ')})`);
        return c;
      });
      return { ...l, candidates, searchable: candidates.length > 1 };
    }),
  };
}

interface RoundsFile {
  kind: string;
  config: Record<string, unknown>;
  rounds: NseRoundRecord[];
}

function readRounds(dir: string, config: Record<string, unknown>): NseRoundRecord[] {
  const file = path.join(dir, ROUNDS_FILE);
  if (!fs.existsSync(file)) return [];
  const f = JSON.parse(fs.readFileSync(file, 'utf8')) as RoundsFile;
  if (f.kind !== KIND)
    throw new Error(`${file} is not an NSE rounds file (kind '${String(f.kind)}'); give another directory`);
  const diff = Object.keys({ ...f.config, ...config }).filter(
    (k) => JSON.stringify(f.config[k]) !== JSON.stringify(config[k]),
  );
  if (diff.length)
    throw new Error(
      `${file} is from an NSE run with other settings (${diff.join(', ')} differ); resume with the same settings, or start a new study`,
    );
  return f.rounds;
}

function writeRounds(dir: string, config: Record<string, unknown>, rounds: readonly NseRoundRecord[]): void {
  const file = path.join(dir, ROUNDS_FILE);
  makeDirs(dir);
  // Written whole and renamed: a crash leaves the old list or the new one, never half of one.
  const f: RoundsFile = { kind: KIND, config, rounds: [...rounds] };
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(f, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

/** Epochs done in a round's checkpoint (0 when there is none). */
export function roundEpochsDone(dir: string, r: number): number {
  const d = roundDir(dir, r);
  return hasCheckpoint(d) ? readCheckpointState(d).epoch : 0;
}

/** Runs (or resumes) every round; returns the rounds and the final architecture. */
export function runNseRounds(o: NseRunOptions): NseRunResult {
  const s = o.options;
  const threads = s.threads ?? o.threads;
  if (threads) setNumThreads(threads);
  const full = supernetLayout(o.space, o.input, o.classes);
  const pools = full.layers.map((l) => l.candidates.map((c) => c.op));
  const order = explorationOrder(pools, deriveSeed(o.seed, hashString('nse-order')));
  const maxBranches = Math.max(1, ...o.space.dims.map((d) => d.branches ?? 1));
  const limitTrain = s.limitTrain ?? o.limitTrain ?? null;
  const config: Record<string, unknown> = {
    ...s,
    space: o.space.name,
    pools,
    order,
    data: o.data.spec,
    input: o.input,
    classes: o.classes,
    costs: { unit: o.costs.unit, source: o.costs.source ?? null },
    seed: o.seed,
    limitTrain,
    // The rounds file keeps the learning rate's key of the files written before the weight-sharing
    // options were shared (weightLr), so that a study started then resumes its rounds.
    lr: undefined,
    weightLr: s.lr,
    // Neither changes the rounds: a resume may give other threads, or ask for round trials.
    threads: undefined,
    roundTrials: undefined,
    // The probability score has no angle settings (and rounds files from before `options.score` match it).
    ...(s.score === 'probability' ? { score: undefined, anglePaths: undefined } : {}),
  };
  const rounds = readRounds(o.dir, config);
  const resumedRounds = rounds.length;
  const set = o.data.train;
  const split = stratifiedSplit(set, s.valFraction, o.seed, limitTrain ?? undefined);
  if (split.train.length < 2 || split.val.length < 1)
    throw new Error(
      `nse: ${set.name}${limitTrain ? ` limited to ${limitTrain} images` : ''} leaves ${split.train.length} training and ${split.val.length} validation images; both need some: raise \`options.limitTrain\` or \`options.valFraction\``,
    );
  const resize = o.input[1] !== set.height || o.input[2] !== set.width ? o.input[1] : undefined;
  const common = { mean: o.data.mean, std: o.data.std, resize, memoryFormat: 'channels_last' as const };
  const loaders = [
    new BatchLoader(set, split.train, {
      ...common,
      batchSize: s.batchSize,
      shuffle: true,
      seed: o.seed,
      dropLast: split.train.length > s.batchSize,
    }),
    new BatchLoader(set, split.val, {
      ...common,
      batchSize: s.batchSize,
      shuffle: true,
      seed: o.seed + 1,
      dropLast: split.val.length > s.batchSize,
    }),
    new BatchLoader(set, split.val, { ...common, batchSize: 256, shuffle: false, seed: 0 }),
  ] as const;
  // The reference cost of the penalty: the pool's mean path (every layer's mean op, plus the fixed layers).
  const meanOp = (row: readonly number[]) => row.reduce((a, b) => a + b, 0) / row.length;
  const costRef = o.costs.fixed + o.costs.perLayer.reduce((sum, row) => sum + meanOp(row), 0);
  if (!(costRef > 0))
    throw new Error(`nse: the pool's mean path costs ${costRef} ${o.costs.unit}; the penalty needs a positive cost`);
  try {
    for (;;) {
      const r = rounds.length;
      const subsets = r === 0 ? initialSubsets(order, s.subsetSize) : rounds[r - 1]!.next;
      if (!subsets) break;
      const explored = pools.map((_, l) => [...new Set(rounds.flatMap((x) => x.subsets[l]!).concat(subsets[l]!))]);
      const record = runRound({
        o,
        r,
        full,
        subsets,
        order,
        explored,
        maxBranches,
        costRef,
        loaders: { weights: loaders[0], alpha: loaders[1], evaluation: loaders[2] },
      });
      rounds.push(record);
      writeRounds(o.dir, config, rounds);
      o.onRound?.(record, rounds);
    }
  } finally {
    for (const l of loaders) l.dispose();
  }
  const last = rounds.at(-1)!;
  return { rounds, final: { arch: last.selected, ops: last.selectedOps }, resumedRounds };
}

interface RoundInput {
  o: NseRunOptions;
  r: number;
  full: SupernetLayout;
  subsets: string[][];
  order: string[][];
  explored: string[][];
  maxBranches: number;
  costRef: number;
  loaders: { weights: BatchLoader; alpha: BatchLoader; evaluation: BatchLoader };
}

/** The gates' expected cost: fixed + sum over layers and ops of p * cost. */
function expectedCost(fixed: number, costs: readonly (readonly number[])[], p: readonly (readonly number[])[]): number {
  return costs.reduce((sum, row, l) => sum + row.reduce((a, c, i) => a + c * p[l]![i]!, 0), fixed);
}

function runRound(i: RoundInput): NseRoundRecord {
  const { o, r, subsets } = i;
  const s = o.options;
  const t0 = performance.now();
  const layout = subsetLayout(i.full, subsets);
  const seed = deriveSeed(o.seed, hashString('nse-round'), r);
  const dir = roundDir(o.dir, r);
  manualSeed(seed); // the new ops' initial weights
  const supernet = new GatedSupernet(layout);
  let wOpt: SGD | null = null;
  let aOpt: Adam | null = null;
  let initial: Map<string, Tensor> | null = null;
  try {
    supernet.to({ memoryFormat: 'channels_last' }).train();
    // W0 before anything is inherited or restored: the fresh construction is the new ops' initialisation.
    if (s.score !== 'probability') initial = roundInitialWeights(supernet, dir, r > 0 ? roundDir(o.dir, r - 1) : null);
    if (r > 0 && !hasCheckpoint(dir)) inheritWeights(supernet, roundDir(o.dir, r - 1));
    const costs = layout.layers.map((l, n) =>
      l.candidates.map((c) => o.costs.perLayer[n]![i.full.layers[n]!.candidates.findIndex((x) => x.op === c.op)]!),
    );
    const scaled = costs.map((row) => row.map((c) => c / i.costRef));
    const weights = new SGD(weightDecayGroups(supernet.weightParameters(), 1e-4), { lr: s.lr, momentum: 0.9 });
    wOpt = weights;
    const alpha = new Adam(supernet.alphaParameters(), { lr: s.alphaLr, beta1: 0.9, beta2: 0.999 });
    aOpt = alpha;
    let baseline: number | null = null;
    const cosine = { kind: 'cosine' as const, epochs: s.epochs };
    const layers = layout.layers.length;
    const diverged = (what: string) => (res: StepResult, ctx: { epoch: number; batch: number }) =>
      new Error(
        `nse round ${r}: the ${what} loss is ${res.loss} at epoch ${ctx.epoch + 1}, batch ${ctx.batch + 1}: the supernet diverged; lower \`options.lr\`. ` +
          `The checkpoint in ${dir} holds the last good epoch; rerunning resumes from it`,
      );
    const run = runTrainLoop<NseEpochRecord>({
      model: supernet,
      seed,
      epochs: s.epochs,
      main: {
        name: 'weights',
        loader: i.loaders.weights,
        optimizer: weights,
        learningRate: (t) => learningRateAt(t, s.lr, cosine),
        begin: () => supernet.setTrainable(true, false),
        step: (batch, ctx) => {
          weights.zeroGrad();
          const path = supernet.drawPath(ctx.rng());
          const branches = path.reduce((n, p) => n + p.length, 0) / layers;
          return tidy(() => {
            const logits = supernet.forwardPath(batch.x, path);
            const ce = crossEntropy(logits, batch.y);
            const loss = ce.item();
            if (!Number.isFinite(loss)) return { loss, hits: 0 };
            ce.backward();
            return { loss, hits: logits.argmax(1).eq(batch.y).sum().item(), means: { branches } };
          });
        },
        diverged: diverged('weight-pass'),
      },
      second: {
        name: 'alpha',
        loader: i.loaders.alpha,
        optimizer: alpha,
        begin: () => supernet.setTrainable(false, true),
        step: (batch, ctx) =>
          alphaStep(
            supernet,
            alpha,
            batch,
            ctx.rng(),
            scaled,
            s.penalty,
            () => baseline,
            (b) => (baseline = b),
          ),
        diverged: diverged('alpha-pass'),
      },
      endEpoch: ({ epoch, main, second, startedAt }) => {
        supernet.setTrainable(true, true);
        const p = supernet.probabilities();
        return {
          epoch: epoch + 1,
          weightLoss: main.loss,
          weightAcc: main.accuracy,
          branches: main.means.branches ?? NaN,
          valLoss: second?.loss ?? NaN,
          valAcc: second?.accuracy ?? NaN,
          probabilities: p,
          expectedCost: expectedCost(o.costs.fixed, costs, p),
          seconds: (performance.now() - startedAt) / 1000,
        };
      },
      checkpoint: {
        dir,
        optimizerGroup: 'wopt',
        save: (records) => {
          const a = alpha.stateDict();
          return {
            run: { kind: `${KIND}-round`, round: r, subsets, records, baseline, alphaOptimizer: a.meta },
            groups: { aopt: a.tensors },
          };
        },
        validate: (state) => {
          const run = state.run as { kind?: string; round?: number; subsets?: string[][] };
          if (
            run.kind !== `${KIND}-round` ||
            run.round !== r ||
            JSON.stringify(run.subsets) !== JSON.stringify(subsets)
          )
            throw new Error(
              `${dir} holds another round's checkpoint (round ${String(run.round)}); remove it to retrain round ${r}`,
            );
        },
        restore: (state, groups) => {
          const run = state.run as { records?: NseEpochRecord[]; baseline?: number | null; alphaOptimizer?: unknown };
          alpha.loadStateDict({ tensors: groups.aopt ?? new Map(), meta: run.alphaOptimizer as never });
          baseline = run.baseline ?? null;
          return run.records ?? [];
        },
      },
      onProgress: o.onProgress && ((p) => o.onProgress!({ round: r, ...p })),
      onEpoch: (rec) => o.onEpoch?.(r, rec),
    });
    if (!run.complete) throw run.error;
    supernet.setTrainable(true, true);
    const probabilities = supernet.probabilities();
    const fitsArch = o.fits;
    const angles = initial
      ? angleScores({
          supernet,
          initial,
          feasible: fitsArch && ((indices) => fitsArch(archOfIndices(layout, indices))),
          paths: s.anglePaths,
          rng: rngFor(o.seed, hashString('nse-angle'), r),
        })
      : null;
    const scores = roundScores(s.score, probabilities, angles);
    const chosen = selectBranches(subsets, probabilities, s.threshold, i.maxBranches);
    const pathOf = (sel: readonly (readonly string[])[]) =>
      sel.map((ops, l) => ops.map((op) => subsets[l]!.indexOf(op)).sort((a, b) => a - b));
    const fits = o.fits ?? (() => true);
    const trim = trimToFit(
      chosen,
      (l, op) => probabilities[l]![subsets[l]!.indexOf(op)]!,
      (sel) => fits(archOfBranchPath(layout, pathOf(sel))),
    );
    const path = pathOf(trim.selection);
    const arch = archOfBranchPath(layout, path);
    // The one-shot accuracy every weight-sharing method measures, of the chosen branches' child
    // network; each round recalibrates on batches of its own (epoch 1e6 + round of the weights' loader).
    const child = extractBranchChildNetwork(supernet, path);
    let oneShotAcc: number;
    try {
      oneShotAcc = childOneShotAccuracy(child, {
        train: i.loaders.weights,
        recalEpoch: 1_000_000 + r,
        recalBatches: s.recalibrationBatches,
        val: i.loaders.evaluation,
      });
    } finally {
      child.dispose();
    }
    const c = archCost(o.space, arch, { input: o.input, classes: o.classes });
    const exhausted = unexplored(i.order, i.explored).every((u) => u.length === 0);
    const limit = s.rounds !== null && r + 1 >= s.rounds;
    const end = exhausted ? 'pool exhausted' : limit ? `round limit (${s.rounds})` : null;
    const move = end ? null : nextSubsets(i.order, i.explored, subsets, scores, s.keep, s.subsetSize);
    return {
      round: r,
      subsets,
      probabilities,
      score: s.score,
      scores,
      angles: angles && angles.map((row) => row.map((a) => (Number.isNaN(a) ? null : a))),
      selected: formatArch(o.space, arch),
      selectedOps: trim.selection,
      trimmed: trim.removed,
      withinConstraints: trim.fits,
      oneShotAcc,
      flops: c.flops,
      params: c.params,
      kept: move?.kept ?? subsets.map(() => []),
      dropped: move?.dropped ?? subsets.map(() => []),
      added: move?.added ?? subsets.map(() => []),
      next: move?.next ?? null,
      end,
      epochs: run.records,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    if (initial) disposeSnapshot(initial);
    wOpt?.dispose();
    aOpt?.dispose();
    supernet.dispose();
  }
}

/** One alpha step: CE of a drawn path (no gradient through the weights), then the REINFORCE surrogate's gradient. */
function alphaStep(
  supernet: GatedSupernet,
  opt: Adam,
  batch: Batch,
  rng: Rng,
  costs: number[][],
  penalty: number,
  getBaseline: () => number | null,
  setBaseline: (b: number) => void,
): StepResult {
  opt.zeroGrad();
  const path = supernet.drawPath(rng);
  const { ce, hits } = noGrad(() =>
    tidy(() => {
      const logits = supernet.forwardPath(batch.x, path);
      return { ce: crossEntropy(logits, batch.y).item(), hits: logits.argmax(1).eq(batch.y).sum().item() };
    }),
  );
  if (!Number.isFinite(ce)) return { loss: ce, hits: 0 };
  const b = getBaseline() ?? ce;
  setBaseline(0.9 * b + 0.1 * ce);
  tidy(() => supernet.alphaLoss(path, ce - b, costs, penalty).backward());
  return { loss: ce, hits };
}

/** Loads, from the previous round's final checkpoint, every tensor the new supernet has by name (gate logits excepted). */
export function inheritWeights(supernet: GatedSupernet, previousDir: string): { inherited: string[]; fresh: string[] } {
  const ck = loadCheckpoint(previousDir);
  try {
    const prev = ck.groups.model ?? new Map();
    const own = supernet.stateDict();
    const take = new Map([...prev].filter(([n]) => own.has(n) && !/(^|\.)alpha$/.test(n)));
    supernet.loadStateDict(take, false);
    return { inherited: [...take.keys()], fresh: [...own.keys()].filter((n) => !take.has(n)) };
  } finally {
    for (const g of Object.values(ck.groups)) for (const t of g.values()) t.dispose();
  }
}
