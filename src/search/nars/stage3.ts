// NARS stage 3 (spec fbnetv3.md 3): per resource budget, an adaptive genetic algorithm over the
// searched space scored by the refit predictor only, so a new budget costs CPU seconds:
//   - the first generation: the best stage-2 pairs within the budget (by their measured
//     objective, at most `gaSeeds`), then random pairs within it up to `gaPopulation`;
//   - each generation: `gaMutants` children by mutation and `gaCrossovers` by crossover of
//     parents drawn from the top `gaParents`, with rates that fall for fitter parents
//     (adaptiveRate, FBNETV3_SEARCH in src/search/genetic.ts); children outside the budget or
//     the study's constraints are discarded and redrawn; every child is scored by the predictor;
//   - stop when the best score has not improved for `gaPatience` generations.
// With an evaluator that can only evaluate a finite set (a table), the answer is the best
// predicted of that set within the budget (every member scored: the genetic algorithm's
// children would mostly fall outside the table).
import { formatArch, parseArch } from '../../space/archFormat';
import { formatCost, violations, type Constraint } from '../../cost/constraints';
import type { Evaluator } from '../../evaluate/evaluator';
import { Rng } from '../../random/rng';
import type { Arch } from '../../space/types';
import type { TrialRecord } from '../../study/types';
import { archGenome } from '../archGenome';
import { evolve, FBNETV3_SEARCH } from '../genetic';
import { pairFeatures } from './encoding';
import type { NarsPredictor, PredictorMeta } from './predictor';
import { resolveSettings, cpuNow, cpuSince, fitnessOf, seedFor, type NarsEnv } from './stages';
import type { NarsAnswerRecord } from './state';

export interface Scorer {
  (archs: readonly Arch[]): Float64Array;
}

/** The predictor as a scorer (its own units, higher better). */
export function predictorScorer(
  P: typeof import('./predictor'),
  env: NarsEnv,
  model: NarsPredictor,
  meta: PredictorMeta,
): Scorer {
  return (archs) => {
    const f = pairFeatures(env.space, archs);
    return P.withThreads(env.options.predictorThreads, () => P.predictScores(model, meta, f.xa, f.xr));
  };
}

/** The cheapest value of a cost in what the study searches (a fixed architecture's own in a recipe search). */
export function cheapest(
  env: Pick<NarsEnv, 'space' | 'options' | 'trials' | 'costs' | 'seed'>,
  kind: Constraint['kind'],
) {
  const r = resolveSettings(env.space, env.options, env.trials);
  if (r.searched.mode === 'recipe') {
    const arch = { ...parseFixedArch(r.searched.space, r.searched.fixed) };
    const c = env.costs.costs(arch);
    return { value: (kind === 'latency' ? c.latencyUs : c[kind]) ?? Infinity, how: 'the fixed architecture' };
  }
  const m = env.costs.minimum(kind, env.seed);
  return {
    value: m.value,
    how:
      m.how === 'exact'
        ? 'exactly'
        : m.how === 'table'
          ? 'over the table'
          : `the smallest of ${m.samples} random architectures`,
  };
}

function parseFixedArch(space: NarsEnv['space'], fixed: Record<string, Arch[string]>): Arch {
  const arch: Arch = {};
  for (const d of space.dims) arch[d.key] = fixed[d.key] ?? d.values[0]!;
  return arch;
}

/** Throws when a budget is below the cheapest architecture or needs a latency table the study lacks. */
export function checkBudgets(
  env: Pick<NarsEnv, 'space' | 'options' | 'trials' | 'costs' | 'seed'>,
  budgets: readonly Constraint[],
): void {
  for (const b of budgets) {
    if (b.kind === 'latency' && !env.costs.hasLatency)
      throw new Error(
        `budget ${b.text} needs latencies: the study has no latency table (create the study with \`lut\` FILE) and its evaluator gives none`,
      );
    const c = cheapest(env, b.kind);
    if (c.value > b.max)
      throw new Error(
        `budget ${b.text} is below the cheapest architecture of the search: its ${b.kind} is ${formatCost(b.kind, c.value)} (${c.how}); ` +
          `give a budget of at least ${formatCost(b.kind, c.value)}`,
      );
  }
}

export interface AnswerInput {
  env: NarsEnv;
  budget: Constraint;
  /** The refit round whose predictor answers. */
  round: number;
  score: Scorer;
  /** The study's settled trials (stage 2). */
  history: readonly TrialRecord[];
}

/** One budget's answer (see the file comment). */
export function answerBudget(i: AnswerInput): NarsAnswerRecord {
  const { env, budget } = i;
  const t0 = cpuNow();
  const o = env.options;
  const r = resolveSettings(env.space, o, env.trials);
  const searched = r.searched.searched;
  const all = [...env.constraints, budget];
  const feasible = (a: Arch) => violations(all, env.costs.costs(a)).length === 0;
  // The best stage-2 pairs within the budget, by their measured objective.
  const measured = i.history
    .filter((t) => t.state === 'complete' && Number.isFinite(t.metrics[env.objective.metric]))
    .map((t) => ({
      t,
      arch: parseArch(env.space, t.arch),
      fit: fitnessOf(env.objective, t.metrics[env.objective.metric]!),
    }))
    .filter((x) => feasible(x.arch))
    .sort((a, b) => b.fit - a.fit || a.t.number - b.t.number);
  const sign = env.objective.direction === 'maximize' ? 1 : -1;
  let best: { arch: Arch; score: number };
  let generations = 1;
  let scored: number;
  let stopped: NarsAnswerRecord['stopped'] = 'exhausted';
  let bestByGeneration: number[];
  const finite = env.evaluator.architectures?.();
  if (finite) {
    const within = finite.filter(
      (a) => searched.dims.every((d) => d.values.length > 1 || a[d.key] === d.values[0]) && feasible(a),
    );
    if (!within.length) throw new Error(`nars: no architecture of the evaluator's table fits budget ${budget.text}`);
    const s = i.score(within);
    let k = 0;
    for (let j = 1; j < s.length; j++) if (s[j]! > s[k]!) k = j;
    best = { arch: within[k]!, score: s[k]! };
    scored = within.length;
    bestByGeneration = [s[k]!];
  } else {
    const ops = archGenome(searched);
    const res = evolve({
      ops,
      fitness: (g) => Array.from(i.score(g)),
      feasible,
      rng: new Rng(seedFor(env.seed, `nars-answer ${budget.text} round ${i.round}`)),
      seeds: measured.slice(0, o.gaSeeds).map((x) => x.arch),
      population: o.gaPopulation,
      parents: o.gaParents,
      mutants: o.gaMutants,
      crossovers: o.gaCrossovers,
      fillRandom: false,
      mutationRate: FBNETV3_SEARCH.mutationRate,
      crossoverRate: FBNETV3_SEARCH.crossoverRate,
      generations: o.gaGenerations,
      patience: o.gaPatience,
    });
    best = { arch: res.best.genome, score: res.best.fitness };
    generations = res.history.length;
    scored = res.evaluated.length;
    stopped = res.stopped;
    bestByGeneration = res.history.map((h) => sign * h.best);
  }
  const top = measured[0];
  const stage2 = top
    ? {
        arch: top.t.arch,
        trial: top.t.number,
        measured: top.t.metrics[env.objective.metric]!,
        predicted: sign * i.score([top.arch])[0]!,
      }
    : null;
  return {
    budget: budget.text,
    round: i.round,
    arch: formatArch(env.space, best.arch),
    predicted: sign * best.score,
    costs: env.costs.costs(best.arch),
    cpuSeconds: cpuSince(t0),
    generations,
    scored,
    stopped,
    seeds: finite ? 0 : Math.min(o.gaSeeds, measured.length),
    bestByGeneration,
    stage2,
    metrics: null,
    error: null,
  };
}

/** Evaluates an answer with the study's evaluator (training: the recipe's full epochs, resumable from its checkpoint). */
export async function evaluateAnswer(
  env: NarsEnv,
  evaluator: Evaluator,
  answer: NarsAnswerRecord,
): Promise<{ metrics: Record<string, number> | null; error: string | null }> {
  const arch = parseArch(env.space, answer.arch);
  try {
    const r = await evaluator.evaluate({
      arch,
      archText: answer.arch,
      trialNumber: -1,
      recipe: evaluator.recipeFor(arch, null),
      studyDir: env.studyDir,
      heartbeat: () => env.heartbeat(),
      addArtifact: (kind, file) => env.addArtifact(kind, file),
      log: (line) => env.log(line),
    });
    return { metrics: r.metrics, error: null };
  } catch (err) {
    return { metrics: null, error: err instanceof Error ? err.message : String(err) };
  }
}
