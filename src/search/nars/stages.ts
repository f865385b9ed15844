// NARS stages 1 and 2 as steps over a study's stored state (state.ts), each done once:
//
//   preparePool     stage 1's pool (pool.ts), stored with the settings;
//   pretrain        the predictor on the pool's free statistics, weights in nars/pretrained.safetensors;
//   settleRounds    for every round whose candidates have all settled and that has no refit yet:
//                   after round 1 the early-stopping epoch (earlyStop.ts), then the refit of the
//                   accuracy head on every complete trial (weights nars/round-<t>.safetensors);
//   planRound       the next round's candidates: round 1 the pool's Sobol order (qmcRound), later
//                   rounds the best predicted of the unevaluated pool; each with its epochs.
//
// The search's strategy calls them from prepare and ask; the plug-in's finalize and answer hooks
// call settleRounds (the last round's refit happens after the loop). The engine is loaded only
// when a predictor trains or scores (dynamic import of predictor.ts).
import * as path from 'node:path';
import { makeDirs } from '../../io/outputPath';
import { archFromIndices, formatArch, parseArch } from '../../space/archFormat';
import type { Constraint } from '../../cost/constraints';
import type { CostModel } from '../../cost/costModel';
import type { Evaluator } from '../../evaluate/evaluator';
import { deriveSeed, hashString } from '../../random/seeds';
import { correlationText } from '../../stats/correlation';
import type { Arch, Space } from '../../space/types';
import type { StrategyState } from '../../study/strategy';
import type { Objective, TrialRecord } from '../../study/types';
import { trialKey } from '../../study/types';
import { chooseEarlyStopEpoch, type EarlyStopDecision } from './earlyStop';
import { pairFeatures } from './encoding';
import { roundSizes, type NarsOptions } from './options';
import { buildPool, poolArch, poolProblem, poolSummary, qmcRound, type Pool } from './pool';
import { searchedSpace, type SearchedSpace } from './searchSpace';
import {
  NARS_DIR,
  NARS_STATE,
  type NarsCandidate,
  type NarsPoolRecord,
  type NarsPretrainRecord,
  type NarsRefitRecord,
  type NarsRound,
  type NarsSettings,
} from './state';
import { parseWindow, windowText, type Bound } from './window';

/** What the stages need of a study, whichever hook runs them. */
export interface NarsEnv {
  space: Space;
  seed: number;
  objective: Objective;
  options: NarsOptions;
  /** The study's target of complete trials. */
  trials: number;
  costs: CostModel;
  constraints: readonly Constraint[];
  evaluator: Pick<Evaluator, 'kind' | 'spec' | 'architectures'>;
  studyDir: string;
  /** Identifies the study within this process (its directory, id and creation time). */
  study: string;
  state: StrategyState;
  addArtifact(kind: string, file: string): void;
  listArtifacts(kind: string): string[];
  log(line: string): void;
  heartbeat(): void;
}

export const WEIGHTS_ARTIFACT = 'nars-weights';

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
export const cpuNow = () => process.cpuUsage();
export const cpuSince = cpuSeconds;

/** The seed of one purpose of a study ('nars-pool', 'nars-refit-3', ...). */
export const seedFor = (seed: number, purpose: string) => deriveSeed(seed, hashString(purpose));

/** The objective as a fitness: higher is better. */
export const fitnessOf = (objective: Objective, v: number) => (objective.direction === 'maximize' ? v : -v);

/** The per-epoch field that holds the objective (the trainer records validation accuracy as valAcc). */
export const epochField = (metric: string) => (metric === 'accuracy' ? 'valAcc' : metric);

export interface Resolved {
  searched: SearchedSpace;
  window: Bound[];
  sizes: number[];
}

/** The mode, window and round sizes of a study's options (throws with what to change). */
export function resolveSettings(space: Space, options: NarsOptions, trials: number): Resolved {
  const searched = searchedSpace(space, options.mode, options.fixed);
  const window = options.window === null ? [] : parseWindow(options.window);
  const rounds = options.rounds ?? 5;
  return { searched, window, sizes: roundSizes(trials, rounds, options.perRound) };
}

const poolCache = new Map<string, Pool>();

/** Builds (or returns the one built earlier in this process with the same inputs) a study's pool. */
export function poolFor(
  r: Resolved,
  o: {
    options: NarsOptions;
    seed: number;
    costs: CostModel;
    constraints: readonly Constraint[];
    evaluator: NarsEnv['evaluator'];
  },
): Pool {
  const key = JSON.stringify([
    r.searched.space.file ?? r.searched.space.name,
    r.searched.mode,
    o.options.fixed,
    windowText(r.window),
    o.constraints.map((c) => c.text),
    o.options.pool,
    o.seed,
    o.evaluator.spec,
    // A fingerprint of the cost model (input shape, classes, latency table).
    o.costs.costs(
      archFromIndices(
        r.searched.searched,
        r.searched.searched.searchDims.map(() => 0),
      ),
    ),
  ]);
  const hit = poolCache.get(key);
  if (hit) return hit;
  const pool = buildPool({
    space: r.searched.space,
    searched: r.searched.searched,
    costs: (a) => o.costs.costs(a),
    constraints: o.constraints,
    window: r.window,
    size: o.options.pool,
    seed: seedFor(o.seed, 'nars-pool'),
    candidates: o.evaluator.architectures?.() ?? null,
  });
  if (poolCache.size >= 4) poolCache.delete(poolCache.keys().next().value!);
  poolCache.set(key, pool);
  return pool;
}

/** Throws when the pool cannot serve the study (empty window, a round or the trials larger than it). */
export function checkPool(pool: Pool, r: Resolved, trials: number, spaceName: string): void {
  const problem = poolProblem(pool, Math.max(...r.sizes), windowText(r.window), spaceName);
  if (problem) throw new Error(`nars: ${problem}`);
  if (trials > pool.archs.length)
    throw new Error(
      `nars: \`trials\` ${trials} is more than the pool holds (${pool.archs.length} pairs): every trial is a distinct pair of the pool; ` +
        'lower `trials`, raise `options.pool`, or widen the window',
    );
}

/**
 * The stored pool's pairs, read and parsed once per process and study (a pool is written once:
 * `env.study` names the study and when it was created, so a study made again under the same name
 * is another entry).
 */
const poolArchCache = new Map<string, { record: NarsPoolRecord; archs: Arch[]; keys: string[] }>();
export function storedPool(env: NarsEnv): { record: NarsPoolRecord; archs: Arch[]; keys: string[] } {
  const hit = poolArchCache.get(env.study);
  if (hit) return hit;
  const record = env.state.get(NARS_STATE.pool);
  if (!record) throw new Error('nars: the study has no pool yet (stage 1 has not run): resume the search');
  const archs = record.entries.map((e) => poolArch(env.space, e));
  const keys = archs.map((a) => formatArch(env.space, a));
  if (poolArchCache.size >= 8) poolArchCache.delete(poolArchCache.keys().next().value!);
  const out = { record, archs, keys };
  poolArchCache.set(env.study, out);
  return out;
}

/** Stage 1's pool, stored once (with the settings). */
export function preparePool(env: NarsEnv): void {
  if (env.state.get(NARS_STATE.pool)) return;
  const t0 = cpuNow();
  const r = resolveSettings(env.space, env.options, env.trials);
  const pool = poolFor(r, env);
  checkPool(pool, r, env.trials, env.space.name);
  const { xa, xr } = pairFeatures(env.space, pool.archs.slice(0, 1));
  const settings: NarsSettings = {
    mode: r.searched.mode,
    description: r.searched.description,
    fixed: r.searched.fixed,
    window: windowText(r.window),
    sizes: r.sizes,
    archFeatures: xa.cols,
    recipeFeatures: xr.cols,
  };
  const summary = poolSummary(
    pool,
    [...env.constraints.map((c) => c.text), windowText(r.window)].filter(Boolean).join(' '),
  );
  env.state.set(NARS_STATE.settings, settings);
  env.state.set(NARS_STATE.pool, {
    how: pool.how,
    entries: pool.entries,
    wanted: pool.wanted,
    looked: pool.looked,
    searchSize: pool.searchSize,
    summary,
    cpuSeconds: cpuSeconds(t0),
  });
  env.log(`nars: ${r.searched.description}`);
  env.log(`nars: stage 1: pool of ${summary}`);
}

function weightsFile(env: NarsEnv, name: string): { rel: string; abs: string } {
  const rel = path.join(NARS_DIR, name);
  const abs = path.join(env.studyDir, rel);
  makeDirs(path.dirname(abs));
  if (!env.listArtifacts(WEIGHTS_ARTIFACT).includes(rel)) env.addArtifact(WEIGHTS_ARTIFACT, abs);
  return { rel, abs };
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Stage 1's pretraining, stored once: encoder + proxy head on the pool's free statistics. */
export async function pretrain(env: NarsEnv): Promise<void> {
  if (env.state.get(NARS_STATE.pretrain)) return;
  const o = env.options;
  const { archs } = storedPool(env);
  const P = await import('./predictor');
  const t0 = cpuNow();
  const costs = archs.map((a) => env.costs.costs(a));
  const candidates = [
    { name: 'flops', values: costs.map((c) => c.flops ?? NaN) },
    { name: 'params', values: costs.map((c) => c.params ?? NaN) },
    { name: 'latency', values: costs.map((c) => c.latencyUs ?? NaN) },
  ];
  const stats = candidates.filter((s) => s.values.every((v) => v > 0) && new Set(s.values).size > 1);
  const skipped =
    o.pretrainEpochs === 0
      ? 'no pretraining asked (`options.pretrainEpochs` 0): the predictor starts from its seeded random weights'
      : !stats.length
        ? "the pool's pairs all have the same free statistics (one architecture): nothing to pretrain on"
        : null;
  const features = pairFeatures(env.space, archs);
  let lastBeat = Date.now();
  const result = P.pretrainPredictor({
    xa: features.xa,
    stats: stats.length ? stats : [{ name: 'flops', values: archs.map(() => 1) }],
    shape: { recipeFeatures: features.xr.cols, hidden: o.hidden, embedding: o.embedding, headHidden: o.headHidden },
    seed: seedFor(env.seed, 'nars-predictor'),
    epochs: skipped ? 0 : o.pretrainEpochs,
    lr: o.pretrainLr,
    batchSize: o.batchSize,
    threads: o.predictorThreads,
    onEpoch: (e, loss) => {
      env.heartbeat();
      if (Date.now() - lastBeat > 20_000 || e === o.pretrainEpochs) {
        lastBeat = Date.now();
        env.log(`nars: stage 1: pretraining epoch ${e}/${o.pretrainEpochs}, loss ${loss.toFixed(4)}`);
      }
    },
  });
  try {
    const file = weightsFile(env, 'pretrained.safetensors');
    P.savePredictor(file.abs, result.model, result.meta);
    const record: NarsPretrainRecord = {
      skipped,
      epochs: skipped ? 0 : o.pretrainEpochs,
      stats: skipped ? [] : stats.map((s) => s.name),
      train: result.train,
      val: result.val,
      losses: result.losses,
      validation: skipped ? [] : result.validation,
      cpuSeconds: cpuSeconds(t0),
      weights: file.rel,
    };
    env.state.set(NARS_STATE.pretrain, record);
    env.log(
      skipped
        ? `nars: stage 1: ${skipped}`
        : `nars: stage 1: pretrained on ${record.stats.join(', ')} of ${result.train} pairs (${record.epochs} epochs, ${record.cpuSeconds.toFixed(1)} CPU s); ` +
            `on the ${result.val} held out: ${result.validation.map((v) => `${v.stat} Kendall tau ${correlationText(v.kendall, result.val)}, MAPE ${pct(v.mape)}`).join('; ')}`,
    );
  } finally {
    result.model.dispose();
  }
}

/** The rounds so far (empty before round 1 is planned). */
export const storedRounds = (env: NarsEnv): NarsRound[] => env.state.get(NARS_STATE.rounds) ?? [];

/** The complete trials' refit data: arch, and the target (the objective at the early-stopping epoch when there is one). */
export function refitData(
  env: NarsEnv,
  history: readonly TrialRecord[],
  earlyStop: EarlyStopDecision | undefined,
): { archs: Arch[]; y: number[]; target: string } {
  const metric = env.objective.metric;
  const e = earlyStop?.epoch ?? null;
  const field = epochField(metric);
  const archs: Arch[] = [];
  const y: number[] = [];
  for (const t of history) {
    if (t.state !== 'complete') continue;
    let v = t.metrics[metric];
    if (e !== null && t.epochs.length >= e && Number.isFinite(t.epochs[e - 1]![field])) v = t.epochs[e - 1]![field];
    if (v === undefined || !Number.isFinite(v)) continue;
    archs.push(parseArch(env.space, t.arch));
    y.push(fitnessOf(env.objective, v));
  }
  return {
    archs,
    y,
    target: e !== null ? `${metric} after ${e} epoch${e === 1 ? '' : 's'} (the early-stopping epoch)` : metric,
  };
}

/** Early stopping, decided once after round 1 (see earlyStop.ts). */
function decideEarlyStop(env: NarsEnv, round1: NarsRound, history: readonly TrialRecord[]): EarlyStopDecision {
  const known = env.state.get(NARS_STATE.earlyStop);
  if (known) return known;
  const keys = new Set(round1.candidates.map((c) => c.arch));
  const field = epochField(env.objective.metric);
  const trials = history.filter((t) => t.state === 'complete' && keys.has(trialKey(t)));
  const decision = chooseEarlyStopEpoch({
    series: env.evaluator.kind === 'train' ? trials.map((t) => t.epochs.map((e) => e[field] ?? NaN)) : [],
    threshold: env.options.earlyStopThreshold,
    correlation: env.options.earlyStopCorrelation,
    maximize: env.objective.direction === 'maximize',
  });
  if (env.evaluator.kind !== 'train' && !decision.applies)
    decision.reason = `the ${env.evaluator.kind} evaluator has no epochs: every candidate is evaluated in full`;
  env.state.set(NARS_STATE.earlyStop, decision);
  env.log(`nars: early stopping: ${decision.reason}`);
  return decision;
}

/**
 * Refits after every round whose candidates have all settled (see the file comment); returns the
 * rounds. `history`: the study's settled trials.
 */
export async function settleRounds(env: NarsEnv, history: readonly TrialRecord[]): Promise<NarsRound[]> {
  const rounds = storedRounds(env);
  const settled = new Set(history.map(trialKey));
  for (const round of rounds) {
    if (round.refit) continue;
    if (!round.candidates.every((c) => settled.has(c.arch))) break;
    const early = round.round === 1 ? decideEarlyStop(env, round, history) : env.state.get(NARS_STATE.earlyStop);
    const data = refitData(env, history, early);
    const refit = await refitFromPretrained(env, data, `nars-refit-${round.round}`, `round-${round.round}.safetensors`);
    round.refit = refit;
    env.state.set(NARS_STATE.rounds, rounds);
    env.heartbeat();
    env.log(
      `nars: refit after round ${round.round} on ${refit.samples} complete trial(s) (target: ${refit.target}): ` +
        `on its training data Kendall tau ${correlationText(refit.train.kendall, refit.samples)}, mean absolute error ${refit.samples ? refit.train.mae.toPrecision(3) : 'n/a (no complete trial)'} (${refit.cpuSeconds.toFixed(1)} CPU s)`,
    );
  }
  return rounds;
}

/**
 * The predictor refit from the pretrained weights on `data` (refitData's), saved as `name` in the
 * study's nars folder: a round's refit, or an answer's (answerRefine.ts). `purpose` seeds it.
 */
export async function refitFromPretrained(
  env: NarsEnv,
  data: { archs: Arch[]; y: number[]; target: string },
  purpose: string,
  name: string,
): Promise<NarsRefitRecord> {
  const pre = env.state.get(NARS_STATE.pretrain);
  if (!pre) throw new Error('nars: stage 2 needs the pretrained predictor, and the study has none: resume the search');
  const P = await import('./predictor');
  const t0 = cpuNow();
  const { model, meta } = P.loadPredictor(path.join(env.studyDir, pre.weights));
  try {
    const file = weightsFile(env, name);
    if (!data.archs.length) {
      P.savePredictor(file.abs, model, meta);
      return {
        samples: 0,
        target: data.target,
        train: { spearman: NaN, kendall: NaN, mae: NaN },
        losses: [],
        cpuSeconds: cpuSeconds(t0),
        weights: file.rel,
      };
    }
    const f = pairFeatures(env.space, data.archs);
    const o = env.options;
    const r = P.refitPredictor(model, meta, {
      xa: f.xa,
      xr: f.xr,
      y: data.y,
      seed: seedFor(env.seed, purpose),
      headEpochs: o.headEpochs,
      headLr: o.headLr,
      fineEpochs: o.fineEpochs,
      fineLr: o.fineLr,
      batchSize: o.batchSize,
      threads: o.predictorThreads,
    });
    P.savePredictor(file.abs, model, r.meta);
    return {
      samples: data.archs.length,
      target: data.target,
      train: r.train,
      losses: r.losses,
      cpuSeconds: cpuSeconds(t0),
      weights: file.rel,
    };
  } finally {
    model.dispose();
  }
}

/** The weights of the latest refit (or null before the first). */
export function latestRefit(rounds: readonly NarsRound[]): { round: number; weights: string } | null {
  for (let k = rounds.length - 1; k >= 0; k--) {
    const r = rounds[k]!;
    if (r.refit) return { round: r.round, weights: r.refit.weights };
  }
  return null;
}

/**
 * Why a round beyond the planned ones is needed: the study's target raised since the rounds were
 * planned (a resume with more trials), failed trials, or both.
 */
function extraRoundReason(env: NarsEnv, sizes: readonly number[], history: readonly TrialRecord[]): string {
  const planned = sizes.reduce((a, b) => a + b, 0);
  const failed = history.filter((x) => x.state !== 'complete').length;
  const why: string[] = [];
  if (env.trials > planned)
    why.push(`the study's target was raised from the ${planned} trials the rounds were planned for to ${env.trials}`);
  if (failed) why.push(`${failed} trial(s) did not complete`);
  return why.length ? why.join(', and ') : 'the target is not reached yet';
}

/**
 * Plans the next round (after settleRounds): its size from the settings (rounds beyond them, which
 * only failures call for, take m and what the target still needs), its candidates and epochs.
 * Returns null when the pool has no unevaluated pair left.
 */
export async function planRound(
  env: NarsEnv,
  history: readonly TrialRecord[],
  rounds: NarsRound[],
): Promise<NarsRound | null> {
  const settings = env.state.get(NARS_STATE.settings)!;
  const { archs, keys } = storedPool(env);
  const t = rounds.length + 1;
  const complete = history.filter((x) => x.state === 'complete').length;
  const size =
    t <= settings.sizes.length
      ? settings.sizes[t - 1]!
      : Math.min(settings.sizes[0]!, Math.max(1, env.trials - complete));
  const seen = new Set(history.map(trialKey));
  let round: NarsRound;
  if (t === 1) {
    const r = resolveSettings(env.space, env.options, env.trials);
    const how = env.state.get(NARS_STATE.pool)!.how;
    const picked = qmcRound(archs, how, r.searched.searched, seedFor(env.seed, 'nars-pool'), size);
    round = {
      round: 1,
      how: 'qmc',
      candidates: picked.map((k) => ({ arch: keys[k]!, predicted: null })),
      stopAfterEpochs: null,
      refit: null,
      pickedFrom: archs.length,
    };
  } else {
    const open = keys.map((k, i) => i).filter((i) => !seen.has(keys[i]!));
    if (!open.length) return null;
    const latest = latestRefit(rounds);
    const pre = env.state.get(NARS_STATE.pretrain)!;
    const P = await import('./predictor');
    const { model, meta } = P.loadPredictor(path.join(env.studyDir, latest ? latest.weights : pre.weights));
    let scores: Float64Array;
    try {
      const f = pairFeatures(
        env.space,
        open.map((i) => archs[i]!),
      );
      scores = P.withThreads(env.options.predictorThreads, () => P.predictScores(model, meta, f.xa, f.xr));
    } finally {
      model.dispose();
    }
    const order = open.map((i, j) => ({ i, s: scores[j]! })).sort((a, b) => b.s - a.s || a.i - b.i);
    const early = env.state.get(NARS_STATE.earlyStop);
    const sign = env.objective.direction === 'maximize' ? 1 : -1;
    const candidates: NarsCandidate[] = order
      .slice(0, size)
      .map(({ i, s }) => ({ arch: keys[i]!, predicted: sign * s }));
    round = {
      round: t,
      how: 'predicted',
      candidates,
      stopAfterEpochs: early?.epoch ?? null,
      refit: null,
      pickedFrom: open.length,
    };
  }
  rounds.push(round);
  env.state.set(NARS_STATE.rounds, rounds);
  const preds = round.candidates.map((c) => c.predicted).filter((v): v is number => v !== null);
  env.log(
    `nars: round ${t}${t <= settings.sizes.length ? ` of ${settings.sizes.length}` : ` (extra: ${extraRoundReason(env, settings.sizes, history)})`}: ` +
      `${round.candidates.length} candidate(s), ${round.how === 'qmc' ? 'diverse (the Sobol order of the pool)' : `the best predicted of ${round.pickedFrom} unevaluated pairs`}` +
      (preds.length
        ? ` (predicted ${env.objective.metric} ${Math.min(...preds).toPrecision(4)} .. ${Math.max(...preds).toPrecision(4)})`
        : '') +
      (round.stopAfterEpochs !== null
        ? `, each trained ${round.stopAfterEpochs} epoch${round.stopAfterEpochs === 1 ? '' : 's'} (early stopping)`
        : ''),
  );
  return round;
}
