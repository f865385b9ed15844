// A genetic algorithm over any genome, pure: no store, no engine. The caller gives the genome's
// operations (a random draw, mutation, crossover, and a key that says when two genomes are the same
// candidate), a feasibility filter (the resource constraints) and a fitness (higher is better).
// `evolve` runs whole generations until a stopping rule and never evaluates a key twice;
// `makeChild`, the step that makes one child (select parents, mutate or cross, keep it only if it
// is feasible and unseen, bounded retries), serves ask/tell strategies that make children one at
// a time (regularized evolution, src/search/evolution/).
//
// One generation: `mutants` children by mutation and `crossovers` by crossover, their parents drawn
// from the top `parents` of everything evaluated so far (elitist: keeping the top K of parents and
// children is the same as the top K of all), then, with `fillRandom`, random genomes up to
// `population`. The first generation is the seeds, then random genomes up to `population`.
// The two settings the next methods need (SPOS_SEARCH, FBNETV3_SEARCH below):
//   - SPOS's evolutionary search (Guo et al. 2020, the authors' code; spec nse.md 1.4);
//   - FBNetV3's adaptive GA (Dai et al. 2021, stage 3; spec fbnetv3.md 3): seeded with given
//     genomes, mutation and crossover rates that fall for fitter parents (adaptiveRate, after
//     Srinivas and Patnaik 1994), stopped when the best stops improving (`patience`).
import { Rng } from '../random/rng';

/** What the algorithm needs to know about a genome. */
export interface GenomeOps<G> {
  /** A genome drawn at random. */
  random(rng: Rng): G;
  /** A copy of `parent` with genes changed, each with probability `rate`. */
  mutate(parent: G, rng: Rng, rate: number): G;
  /** A child taking each gene from `b` with probability `rate`, else from `a` (0.5: uniform crossover). */
  crossover(a: G, b: G, rng: Rng, rate: number): G;
  /** Equal keys mean the same candidate: a key is evaluated once. */
  key(genome: G): string;
}

/** A genome with its fitness (higher is better). */
export interface Parent<G> {
  genome: G;
  fitness: number;
}

export type ChildKind = 'mutation' | 'crossover';

export interface ChildOptions<G> {
  ops: GenomeOps<G>;
  kind: ChildKind;
  /** Draws one parent (twice for a crossover): uniform from the top K, a tournament, ... */
  select: (rng: Rng) => Parent<G>;
  /** Per-gene mutation probability for this parent (adaptive rates read its fitness). */
  mutationRate: (parent: Parent<G>) => number;
  /** Probability that a gene comes from the less fit parent, given the fitter one. */
  crossoverRate?: (fitter: Parent<G>) => number;
  /** The constraints: an infeasible child is discarded and redrawn. */
  feasible?: (genome: G) => boolean;
  /** Keys already evaluated (or about to be). */
  isSeen?: (key: string) => boolean;
  /** Children drawn at most. */
  maxTries: number;
  /**
   * 'require': only an unseen child will do. { preferFor: n }: an unseen child is preferred for
   * the first n tries; then the first feasible child found is taken even if seen (when the
   * neighbourhood is used up, re-evaluating beats stalling).
   */
  unseen: 'require' | { preferFor: number };
  /** New parents for every try (SPOS) rather than the first ones throughout (regularized evolution). */
  newParentsEachTry: boolean;
}

export interface Child<G> {
  genome: G;
  key: string;
  kind: ChildKind;
  /** One parent for a mutation; for a crossover the fitter first. */
  parents: Parent<G>[];
  /** Draws it took (1 = the first child drawn was kept). */
  tries: number;
}

/**
 * One child: parents from `select`, varied by mutation or crossover, kept if feasible and unseen
 * (see `unseen`); null when no acceptable child came within maxTries. The Rng is drawn only by
 * `select` and by the genome operations, in that order, once per try.
 */
export function makeChild<G>(rng: Rng, o: ChildOptions<G>): Child<G> | null {
  const preferFor = o.unseen === 'require' ? Infinity : o.unseen.preferFor;
  const drawParents = (): Parent<G>[] => {
    if (o.kind === 'mutation') return [o.select(rng)];
    const a = o.select(rng);
    const b = o.select(rng);
    return b.fitness > a.fitness ? [b, a] : [a, b];
  };
  let parents = drawParents();
  let firstFeasible: Child<G> | null = null;
  for (let t = 0; t < o.maxTries; t++) {
    if (t > 0 && o.newParentsEachTry) parents = drawParents();
    const genome =
      o.kind === 'mutation'
        ? o.ops.mutate(parents[0]!.genome, rng, o.mutationRate(parents[0]!))
        : o.ops.crossover(parents[0]!.genome, parents[1]!.genome, rng, o.crossoverRate?.(parents[0]!) ?? 0.5);
    if (o.feasible && !o.feasible(genome)) continue;
    const child: Child<G> = { genome, key: o.ops.key(genome), kind: o.kind, parents, tries: t + 1 };
    if (!o.isSeen || t >= preferFor || !o.isSeen(child.key)) return child;
    firstFeasible ??= child;
    if (t + 1 >= preferFor) return firstFeasible;
  }
  return o.unseen === 'require' ? null : firstFeasible;
}

/**
 * Tournament selection: `size` members drawn uniformly with replacement, the fittest wins (the
 * first drawn among equals). Regularized evolution's parent choice (Real et al. 2019).
 */
export function tournament<T extends { fitness: number }>(pool: readonly T[], size: number, rng: Rng): T {
  if (!pool.length) throw new Error('tournament: the pool is empty');
  let best = pool[rng.int(pool.length)]!;
  for (let i = 1; i < size; i++) {
    const m = pool[rng.int(pool.length)]!;
    if (m.fitness > best.fitness) best = m;
  }
  return best;
}

/** The fitness statistics an adaptive rate reads: of the parents' pool (the top K). */
export interface PoolStats {
  max: number;
  mean: number;
}

/** A rate: fixed, or a function of the parent's fitness and the pool's statistics. */
export type Rate = number | ((fitness: number, pool: PoolStats) => number);

/**
 * Srinivas and Patnaik's adaptive rate (1994), floored: `high` for parents below the pool's mean,
 * falling linearly to `low` at the pool's best. Fit parents are disturbed less (their good genes
 * survive), weak ones more (they explore). A floor above zero keeps the best parent's children
 * different from it. With no spread in the pool (max = mean) every parent gets `high`.
 */
export function adaptiveRate(o: { high: number; low: number }): (fitness: number, pool: PoolStats) => number {
  if (!(o.low >= 0 && o.low <= o.high && o.high <= 1))
    throw new Error(`adaptiveRate: need 0 <= low <= high <= 1, got low ${o.low}, high ${o.high}`);
  return (f, { max, mean }) =>
    f < mean || !(max > mean) ? o.high : o.low + ((o.high - o.low) * (max - f)) / (max - mean);
}

export type Origin = 'seed' | 'random' | ChildKind;

/** An evaluated genome. */
export interface Evaluated<G> extends Parent<G> {
  key: string;
  generation: number;
  origin: Origin;
}

export interface EvolveOptions<G> {
  ops: GenomeOps<G>;
  /** Scores a generation's new genomes at once (higher is better; NaN ranks last). */
  fitness: (genomes: readonly G[]) => readonly number[];
  /** The constraints: infeasible genomes (seeds included) are never evaluated. */
  feasible?: (genome: G) => boolean;
  rng: Rng | number;
  /** Genomes for the first generation, before the random ones (FBNetV3: the best of stage 2). */
  seeds?: readonly G[];
  /** Keys evaluated elsewhere: never proposed. */
  seen?: ReadonlySet<string>;
  /** The first generation's size; with fillRandom, every generation's. */
  population: number;
  /** K: parents are drawn from the top K evaluated so far. */
  parents: number;
  /** How a parent is drawn from the top K (default uniform). */
  selection?: 'uniform' | { tournament: number };
  /** Children by mutation per generation. */
  mutants: number;
  /** Children by crossover per generation. */
  crossovers: number;
  /** Random genomes fill each generation up to `population` (SPOS). */
  fillRandom?: boolean;
  /** Per-gene mutation probability. */
  mutationRate: Rate;
  /** Probability that a gene comes from the less fit parent (default 0.5, uniform crossover). */
  crossoverRate?: Rate;
  /** Generations evaluated at most, the first included. */
  generations: number;
  /** Stop when the best has not improved for this many generations. */
  patience?: number;
  /** Draws per child (or random genome) before giving up on it (default 100). */
  maxTries?: number;
}

export interface GenerationRecord {
  generation: number;
  /** Genomes evaluated in this generation, by origin. */
  made: Record<Origin, number>;
  /** Children or random genomes that found no feasible unseen candidate within maxTries. */
  missed: number;
  generationBest: number;
  generationMean: number;
  /** The best fitness so far, and its key. */
  best: number;
  bestKey: string;
  improved: boolean;
}

export interface EvolveResult<G> {
  best: Evaluated<G>;
  /** The top K at the end, best first. */
  top: Evaluated<G>[];
  history: GenerationRecord[];
  /** Every evaluated genome, in evaluation order. */
  evaluated: Evaluated<G>[];
  stopped: 'generations' | 'patience' | 'exhausted';
}

/** SPOS's evolutionary search, the authors' values (spec nse.md 1.4). */
export const SPOS_SEARCH = {
  population: 50,
  generations: 20,
  parents: 10,
  mutants: 25,
  crossovers: 25,
  fillRandom: true,
  mutationRate: 0.1,
  crossoverRate: 0.5,
} as const satisfies Partial<EvolveOptions<unknown>>;

/**
 * FBNetV3's adaptive GA (spec fbnetv3.md 3). The paper leaves population, children, K and the
 * rates open; these are ours: children kept within the budget, top 20 kept, stop after 3 generations
 * without improvement (at most 100).
 */
export const FBNETV3_SEARCH = {
  population: 100,
  generations: 100,
  parents: 20,
  mutants: 50,
  crossovers: 50,
  fillRandom: false,
  mutationRate: adaptiveRate({ high: 0.3, low: 0.05 }),
  crossoverRate: adaptiveRate({ high: 0.5, low: 0.1 }),
  patience: 3,
} as const satisfies Partial<EvolveOptions<unknown>>;

const DEFAULT_MAX_TRIES = 100;

/** Runs the genetic algorithm: see the header for one generation and EvolveOptions for the settings. */
export function evolve<G>(o: EvolveOptions<G>): EvolveResult<G> {
  for (const k of ['population', 'parents', 'generations'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`evolve: ${k} must be a positive integer, got ${o[k]}`);
  }
  for (const k of ['mutants', 'crossovers'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0)
      throw new Error(`evolve: ${k} must be a non-negative integer, got ${o[k]}`);
  }
  if (o.patience !== undefined && !(Number.isInteger(o.patience) && o.patience >= 1))
    throw new Error(`evolve: patience must be a positive integer, got ${o.patience}`);
  const rng = typeof o.rng === 'number' ? new Rng(o.rng) : o.rng;
  const maxTries = o.maxTries ?? DEFAULT_MAX_TRIES;
  const evaluated: Evaluated<G>[] = [];
  const keys = new Set<string>();
  const pending = new Set<string>();
  const isSeen = (k: string) => keys.has(k) || pending.has(k) || (o.seen?.has(k) ?? false);
  let top: Evaluated<G>[] = [];
  const history: GenerationRecord[] = [];

  /** A random feasible unseen genome, or null after maxTries draws. */
  const randomGenome = (): G | null => {
    for (let t = 0; t < maxTries; t++) {
      const g = o.ops.random(rng);
      if ((!o.feasible || o.feasible(g)) && !isSeen(o.ops.key(g))) return g;
    }
    return null;
  };

  const score = (
    batch: Array<{ genome: G; key: string; origin: Origin }>,
    generation: number,
    missed: number,
  ): void => {
    const fit = o.fitness(batch.map((b) => b.genome));
    if (fit.length !== batch.length)
      throw new Error(`evolve: fitness returned ${fit.length} scores for ${batch.length} genomes`);
    const previous = top[0]?.fitness ?? -Infinity;
    const made: Record<Origin, number> = { seed: 0, random: 0, mutation: 0, crossover: 0 };
    const scored = batch.map((b, i) => {
      made[b.origin]++;
      keys.add(b.key);
      return { ...b, fitness: Number.isNaN(fit[i]) ? -Infinity : fit[i]!, generation };
    });
    pending.clear();
    evaluated.push(...scored);
    // Stable sort: among equals the earlier evaluated stays ahead.
    top = [...top, ...scored].sort((a, b) => b.fitness - a.fitness).slice(0, o.parents);
    const f = scored.map((s) => s.fitness);
    history.push({
      generation,
      made,
      missed,
      generationBest: Math.max(...f),
      generationMean: f.reduce((s, v) => s + v, 0) / f.length,
      best: top[0]!.fitness,
      bestKey: top[0]!.key,
      improved: top[0]!.fitness > previous,
    });
  };

  // The first generation: feasible unseen seeds, then random genomes.
  const first: Array<{ genome: G; key: string; origin: Origin }> = [];
  for (const s of o.seeds ?? []) {
    if (first.length >= o.population) break;
    const key = o.ops.key(s);
    if ((o.feasible && !o.feasible(s)) || isSeen(key)) continue;
    first.push({ genome: s, key, origin: 'seed' });
    pending.add(key);
  }
  let missed = 0;
  while (first.length < o.population) {
    const g = randomGenome();
    if (!g) {
      missed = o.population - first.length;
      break;
    }
    const key = o.ops.key(g);
    first.push({ genome: g, key, origin: 'random' });
    pending.add(key);
  }
  if (!first.length)
    throw new Error(
      `evolve: no feasible unseen genome for the first generation in ${maxTries} random draws; loosen the constraints or give seeds`,
    );
  score(first, 0, missed);

  let lastImproved = 0;
  let stopped: EvolveResult<G>['stopped'] = 'generations';
  for (let generation = 1; generation < o.generations; generation++) {
    // The pool's statistics over finite scores (a failed candidate's -Infinity would swamp the mean).
    const finite = top.map((m) => m.fitness).filter(Number.isFinite);
    const pool: PoolStats = finite.length
      ? { max: Math.max(...finite), mean: finite.reduce((s, v) => s + v, 0) / finite.length }
      : { max: 0, mean: 0 };
    const rate = (r: Rate) => (p: Parent<G>) => (typeof r === 'number' ? r : r(p.fitness, pool));
    const select =
      o.selection === undefined || o.selection === 'uniform'
        ? (r: Rng) => top[r.int(top.length)]!
        : (
            (size: number) => (r: Rng) =>
              tournament(top, size, r)
          )(o.selection.tournament);
    const step = (kind: ChildKind): ChildOptions<G> => ({
      ops: o.ops,
      kind,
      select,
      mutationRate: rate(o.mutationRate),
      crossoverRate: rate(o.crossoverRate ?? 0.5),
      feasible: o.feasible,
      isSeen,
      maxTries,
      unseen: 'require',
      newParentsEachTry: true,
    });
    const children: Array<{ genome: G; key: string; origin: Origin }> = [];
    missed = 0;
    const add = (made: { genome: G; key: string } | null, origin: Origin) => {
      if (!made) {
        missed++;
        return;
      }
      children.push({ genome: made.genome, key: made.key, origin });
      pending.add(made.key);
    };
    for (let i = 0; i < o.mutants; i++) add(makeChild(rng, step('mutation')), 'mutation');
    for (let i = 0; i < o.crossovers; i++) add(makeChild(rng, step('crossover')), 'crossover');
    while (o.fillRandom && children.length < o.population) {
      const g = randomGenome();
      add(g && { genome: g, key: o.ops.key(g) }, 'random');
      if (!g) break;
    }
    if (!children.length) {
      stopped = 'exhausted';
      break;
    }
    score(children, generation, missed);
    if (history.at(-1)!.improved) lastImproved = generation;
    if (o.patience !== undefined && generation - lastImproved >= o.patience) {
      stopped = 'patience';
      break;
    }
  }
  return { best: top[0]!, top, history, evaluated, stopped };
}
