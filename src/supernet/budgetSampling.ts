// Paths within a cost budget (latency or FLOPs, per-candidate costs). A hard budget filter drops
// the paths over it, and says which. But dropping is not enough: a distribution that does not
// know the budget (a search's learned one, or the uniform one) can put its argmax and most of its
// samples over it. Conditioning the distribution on the budget is the most probable way to honour
// it: `budgetArgmaxArchitecture` is the most probable architecture within the budget (exact, by
// dynamic programming over layers), `sampleWithinBudget` draws from the distribution restricted
// to the budget (rejection sampling, completed by exact draws from the restricted distribution
// when the budget is improbable). Both take an optional floor: costs within [floor, budget] (a
// band), for a budget the search should use, not only honour. No engine here.
import { Rng } from '../random/rng';
import type { Space } from '../space/types';
import { architectureCost, type CandidateCosts } from './candidateCosts';
import { supernetLayout, type SupernetLayout } from './layout';
import { checkDistributions, describePath, drawIndices, type SampledArchitecture } from './pathSampling';

export interface BudgetFilter<T> {
  budget: number;
  kept: Array<{ arch: T; cost: number }>;
  dropped: Array<{ arch: T; cost: number }>;
  /** One line for logs and reports: how many were dropped and their costs. */
  summary: string;
}

/** Keeps the architectures whose cost is at most `budget`; reports the dropped ones with their costs. */
export function filterByBudget<T>(
  archs: readonly T[],
  costFn: (arch: T) => number,
  budget: number,
  unit = '',
): BudgetFilter<T> {
  if (!Number.isFinite(budget)) throw new Error(`filterByBudget: the budget must be a finite number, got ${budget}`);
  const kept: BudgetFilter<T>['kept'] = [];
  const dropped: BudgetFilter<T>['dropped'] = [];
  for (const arch of archs) {
    const cost = costFn(arch);
    (cost <= budget ? kept : dropped).push({ arch, cost });
  }
  const u = unit ? ` ${unit}` : '';
  const summary = dropped.length
    ? `dropped ${dropped.length} of ${archs.length} architecture(s) over the budget of ${budget}${u} (costs ${dropped.map((d) => d.cost.toPrecision(4)).join(', ')}${u}); ${kept.length} kept`
    : `all ${archs.length} architecture(s) within the budget of ${budget}${u}`;
  return { budget, kept, dropped, summary };
}

function checkCostsFit(layout: SupernetLayout, costs: CandidateCosts): void {
  const where = `candidate costs (${costs.source ?? 'unnamed source'}) for space '${layout.space.name}'`;
  if (costs.perLayer.length !== layout.layers.length)
    throw new Error(`${where}: ${costs.perLayer.length} layers of costs for ${layout.layers.length} layers`);
  layout.layers.forEach((l, n) => {
    const row = costs.perLayer[n]!;
    if (row.length !== l.candidates.length)
      throw new Error(`${where}: ${l.key} has ${row.length} costs for ${l.candidates.length} candidates`);
    if (row.some((v) => !Number.isFinite(v)))
      throw new Error(`${where}: ${l.key} has a cost that is not a finite number: [${row.join(', ')}]`);
  });
}

function checkBudget(what: string, budget: number): void {
  if (!Number.isFinite(budget)) throw new Error(`${what}: the budget must be a finite number, got ${budget}`);
}

/** Per layer, the cheapest candidate with positive probability. */
function layerMinimums(costs: CandidateCosts, distributions: readonly (readonly number[])[]): number[] {
  return costs.perLayer.map((row, l) => Math.min(...row.filter((_, i) => distributions[l]![i]! > 0)));
}

/** The cheapest cost of an architecture made of candidates with positive probability. */
export function cheapestCost(costs: CandidateCosts, distributions: readonly (readonly number[])[]): number {
  return layerMinimums(costs, distributions).reduce((s, m) => s + m, costs.fixed);
}

/**
 * The grid the constrained argmax rounds costs to: budget / 4000, and at least 1 µs for latency
 * (table latencies are not that precise), so the dynamic programme has at most ~4000 cells.
 */
export function budgetStep(budget: number, unit: CandidateCosts['unit']): number {
  return Math.max(unit === 'us' ? 1 : 0, budget / 4000);
}

interface BudgetGrid {
  /** Whether the cheapest allowed architecture is within the budget. */
  fits: boolean;
  /** Cells an architecture must use at least (0 without a floor): floor above the cheapest, rounded up. */
  minUsed: number;
  cheapest: number;
  step: number;
  /** Grid cells between the cheapest architecture and the budget. */
  cells: number;
  /** Cells each candidate takes above its layer's cheapest allowed one, rounded up; -1 when excluded (p = 0). */
  width: number[][];
}

/** The cost grid shared by the constrained argmax and the exact conditional sampler. */
function budgetGrid(
  distributions: readonly (readonly number[])[],
  costs: CandidateCosts,
  budget: number,
  stepOption?: number,
  floor?: number,
): BudgetGrid {
  const mins = layerMinimums(costs, distributions);
  const cheapest = mins.reduce((s, m) => s + m, costs.fixed);
  // A memory guard for costs far below the budget (negative ones): at most 100,000 cells.
  const step = Math.max(stepOption ?? budgetStep(budget, costs.unit), (budget - cheapest) / 100_000);
  if (!(step > 0)) throw new Error(`budget grid: the cost step must be positive, got ${step}`);
  const fits = cheapest <= budget;
  const cells = fits ? Math.floor((budget - cheapest) / step) : 0;
  const width = costs.perLayer.map((row, l) =>
    row.map((c, i) => (distributions[l]![i]! > 0 ? Math.ceil((c - mins[l]!) / step) : -1)),
  );
  // Widths are rounded up, so a path's cells can overstate its cost by up to a step a layer: the
  // floor holds to within that (layers x step, e.g. 22 µs on fbnet-s), the budget exactly.
  const minUsed = floor !== undefined && floor > cheapest ? Math.ceil((floor - cheapest) / step - 1e-9) : 0;
  return { fits, minUsed, cheapest, step, cells, width };
}

/** The check of a floor given with a budget. */
function checkFloor(what: string, floor: number | undefined, budget: number): void {
  if (floor !== undefined && !(Number.isFinite(floor) && floor <= budget))
    throw new Error(`${what}: the floor must be a finite number at most the budget (${budget}), got ${floor}`);
}

/**
 * Exact draws from the per-layer distributions conditioned on the rounded cost being within the
 * budget: mass[l][c], the probability that layers l..L-1 fit in c cells, is computed backwards,
 * then each layer's candidate is drawn with probability p_l[i] * mass[l+1][c - w_i] / mass[l][c].
 * No rejections, so it works however small the budget's probability is. Null when nothing fits.
 */
export function conditionedDrawer(
  distributions: readonly (readonly number[])[],
  costs: CandidateCosts,
  budget: number,
  floor?: number,
): { draw: (rng: Rng) => number[]; probability: number } | null {
  const grid = budgetGrid(distributions, costs, budget, undefined, floor);
  if (!grid.fits) return null;
  const { cells, width, minUsed } = grid;
  const L = distributions.length;
  const mass: Float64Array[] = new Array<Float64Array>(L + 1);
  // c cells left after the last layer: the path used cells - c, which must reach the floor.
  mass[L] = new Float64Array(cells + 1).map((_, c) => (cells - c >= minUsed ? 1 : 0));
  for (let l = L - 1; l >= 0; l--) {
    const row = new Float64Array(cells + 1);
    const next = mass[l + 1]!;
    const p = distributions[l]!;
    const ws = width[l]!;
    for (let c = 0; c <= cells; c++) {
      let m = 0;
      for (let j = 0; j < p.length; j++) if (ws[j]! >= 0 && ws[j]! <= c) m += p[j]! * next[c - ws[j]!]!;
      row[c] = m;
    }
    mass[l] = row;
  }
  const draw = (rng: Rng): number[] => {
    const out: number[] = [];
    let c = cells;
    for (let l = 0; l < L; l++) {
      const p = distributions[l]!;
      const next = mass[l + 1]!;
      let u = rng.next() * mass[l]![c]!;
      let pick = -1;
      for (let j = 0; j < p.length; j++) {
        const w = width[l]![j]!;
        if (w < 0 || w > c) continue;
        const m = p[j]! * next[c - w]!;
        if (m <= 0) continue;
        pick = j; // the last candidate with mass, should rounding leave u above the total
        if (u < m) break;
        u -= m;
      }
      out.push(pick);
      c -= width[l]![pick]!;
    }
    return out;
  };
  const probability = mass[0]![cells]!;
  return probability > 0 ? { draw, probability } : null;
}

export interface BudgetArgmax {
  /** Candidate index per layer of the most probable architecture within the budget; null when none is. */
  indices: number[] | null;
  /** Its cost (fixed + sum_l perLayer[l][i_l], not rounded); null when none is within the budget. */
  cost: number | null;
  /** The cheapest architecture of candidates with positive probability (over the budget when indices is null). */
  cheapest: number;
  /** The cost grid used. */
  step: number;
}

/**
 * The most probable architecture (max sum_l log p_l[i_l]) with fixed + sum_l cost[l][i_l] <= budget
 * (and at least `floor`, to within layers x step, when given; null when nothing reaches it),
 * exact with respect to the rounded costs: per layer, each candidate's cost above the layer's
 * cheapest allowed candidate is rounded UP to the grid `step`, so the result is never over the
 * budget, and an architecture at least (layers x step) under the budget is never missed.
 * Zero-probability candidates are excluded. Ties go to the first optimum in candidate order,
 * layer by layer (so with a loose budget this is the per-layer argmax). Dynamic programming over
 * (layer, remaining cells): layers x cells x candidates steps (fbnet: 22 x 4000 x 9).
 */
export function budgetArgmaxIndices(
  distributions: readonly (readonly number[])[],
  costs: CandidateCosts,
  budget: number,
  o: { step?: number; floor?: number } = {},
): BudgetArgmax {
  checkBudget('budgetArgmaxIndices', budget);
  checkFloor('budgetArgmaxIndices', o.floor, budget);
  const grid = budgetGrid(distributions, costs, budget, o.step, o.floor);
  const { cheapest, step } = grid;
  if (!grid.fits) return { indices: null, cost: null, cheapest, step };
  const { cells, width, minUsed } = grid;
  const L = distributions.length;
  const logp = distributions.map((p) => p.map((v) => Math.log(v)));
  // best[l][c]: the highest log-probability of layers l..L-1 within c cells, using enough of them
  // to reach the floor (-Infinity when they cannot). Without a floor every layer has a candidate of
  // width 0 (its cheapest), so it is always finite.
  const best: Float64Array[] = new Array<Float64Array>(L + 1);
  best[L] = new Float64Array(cells + 1).map((_, c) => (cells - c >= minUsed ? 0 : -Infinity));
  const pick = (l: number, c: number): { i: number; v: number } => {
    let i = -1;
    let v = -Infinity;
    const next = best[l + 1]!;
    const ws = width[l]!;
    for (let j = 0; j < ws.length; j++) {
      const w = ws[j]!;
      if (w < 0 || w > c) continue;
      const x = logp[l]![j]! + next[c - w]!;
      if (x > v) {
        v = x;
        i = j;
      }
    }
    return { i, v };
  };
  for (let l = L - 1; l >= 0; l--) {
    const row = new Float64Array(cells + 1);
    best[l] = row;
    for (let c = 0; c <= cells; c++) row[c] = pick(l, c).v;
  }
  // Nothing the distribution allows reaches the floor within the budget.
  if (best[0]![cells] === -Infinity) return { indices: null, cost: null, cheapest, step };
  const indices: number[] = [];
  let c = cells;
  for (let l = 0; l < L; l++) {
    const { i } = pick(l, c);
    indices.push(i);
    c -= width[l]![i]!;
  }
  return { indices, cost: architectureCost(costs, indices), cheapest, step };
}

/**
 * `budgetArgmaxIndices` for a space: the most probable architecture within the budget (with its
 * cost), or null, with the cheapest cost achievable (for the message saying nothing fits).
 */
export function budgetArgmaxArchitecture(
  space: Space,
  distributions: readonly (readonly number[])[],
  costs: CandidateCosts,
  budget: number,
  o: { step?: number; floor?: number } = {},
): { arch: (SampledArchitecture & { cost: number }) | null; cheapest: number; step: number } {
  const layout = supernetLayout(space);
  checkDistributions(layout, distributions);
  checkCostsFit(layout, costs);
  const r = budgetArgmaxIndices(distributions, costs, budget, o);
  return {
    arch: r.indices ? { ...describePath(layout, distributions, r.indices), cost: r.cost! } : null,
    cheapest: r.cheapest,
    step: r.step,
  };
}

export interface BudgetSamples {
  /** Distinct architectures within the budget, in order of first appearance, with their costs. */
  samples: Array<SampledArchitecture & { cost: number }>;
  /** How many were asked for. */
  wanted: number;
  budget: number;
  /** Draws from the distribution made, and the most allowed. */
  draws: number;
  maxDraws: number;
  /** Draws within the budget (repeats and excluded ones included). */
  accepted: number;
  /** accepted / draws: the probability of the budget under the distribution (0 with no draws). */
  acceptanceRate: number;
  /** Draws made by the exact conditional sampler after rejection sampling fell short (0 when it did not). */
  exactDraws: number;
  /** The budget's probability under the distribution (rounded costs), when the exact sampler ran. */
  budgetProbability: number | null;
  /** The cheapest architecture of candidates with positive probability. */
  cheapest: number;
  /** One line for logs: found / wanted, draws, acceptance rate; or why nothing fits. */
  summary: string;
}

const costText = (v: number, unit: CandidateCosts['unit']) => `${+v.toPrecision(4)} ${unit === 'us' ? 'µs' : unit}`;

/**
 * k distinct architectures from the per-layer distributions conditioned on cost <= budget (and
 * cost >= `floor` when given; the exact draws hold it to within layers x step):
 * rejection sampling (draw as sampleArchitectures does, keep those within the budget), at most
 * `maxDraws` draws (default 2000 k), seeded. `exclude` (candidate indices) are never returned
 * (an architecture already proposed). When even the cheapest architecture is over the budget,
 * nothing is drawn.
 */
export function sampleWithinBudget(
  space: Space,
  distributions: readonly (readonly number[])[],
  costs: CandidateCosts,
  budget: number,
  k: number,
  seed: number,
  o: { maxDraws?: number; exclude?: ReadonlyArray<readonly number[]>; floor?: number } = {},
): BudgetSamples {
  if (!Number.isInteger(k) || k < 0) throw new Error(`sampleWithinBudget: k must be a non-negative integer, got ${k}`);
  checkBudget('sampleWithinBudget', budget);
  checkFloor('sampleWithinBudget', o.floor, budget);
  const floor = o.floor ?? -Infinity;
  const layout = supernetLayout(space);
  checkDistributions(layout, distributions);
  checkCostsFit(layout, costs);
  const maxDraws = o.maxDraws ?? 2000 * k;
  const cheapest = cheapestCost(costs, distributions);
  const samples: BudgetSamples['samples'] = [];
  const seen = new Set<string>((o.exclude ?? []).map((idx) => idx.join('-')));
  let draws = 0;
  let accepted = 0;
  let exactDraws = 0;
  let budgetProbability: number | null = null;
  let nothingInBand = false;
  // Keeps a draw within the budget unless it is a repeat (or excluded).
  const take = (idx: number[], cost: number) => {
    const key = idx.join('-');
    if (seen.has(key)) return;
    seen.add(key);
    samples.push({ ...describePath(layout, distributions, idx), cost });
  };
  if (cheapest <= budget) {
    const rng = new Rng(seed);
    while (samples.length < k && draws < maxDraws) {
      const idx = drawIndices(distributions, rng);
      draws++;
      const cost = architectureCost(costs, idx);
      if (!(cost <= budget && cost >= floor)) continue;
      accepted++;
      take(idx, cost);
    }
    // A budget the distribution rarely meets: draw the rest exactly from it restricted to the budget.
    const exact = samples.length < k ? conditionedDrawer(distributions, costs, budget, o.floor) : null;
    // Null here: nothing the distribution allows lies in the band (the budget alone always fits).
    nothingInBand = samples.length === 0 && k > 0 && !exact;
    if (exact) {
      budgetProbability = exact.probability;
      const rng2 = new Rng(seed + 1);
      for (let tries = 0; samples.length < k && tries < Math.max(maxDraws, 2000 * k); tries++) {
        const idx = exact.draw(rng2);
        exactDraws++;
        take(idx, architectureCost(costs, idx));
      }
    }
  }
  const acceptanceRate = draws ? accepted / draws : 0;
  const rate =
    `acceptance rate ${(acceptanceRate * 100).toPrecision(3)}%` +
    (exactDraws
      ? `; ${exactDraws} more drawn exactly from the distribution restricted to the budget (its probability ${budgetProbability!.toPrecision(3)})`
      : '');
  const b =
    o.floor === undefined
      ? `the budget of ${costText(budget, costs.unit)}`
      : `the band of ${costText(o.floor, costs.unit)} to ${costText(budget, costs.unit)}`;
  const summary =
    cheapest > budget
      ? `no architecture is within ${b}: the cheapest costs ${costText(cheapest, costs.unit)}; no samples`
      : nothingInBand
        ? `no architecture the distribution allows is within ${b}; no samples`
        : samples.length < k
          ? `only ${samples.length} of ${k} distinct samples within ${b} after ${draws} draws (the most allowed), ${rate}`
          : `${samples.length} distinct sample${samples.length === 1 ? '' : 's'} within ${b} in ${draws} draws, ${rate}`;
  return {
    samples,
    wanted: k,
    budget,
    draws,
    maxDraws,
    accepted,
    acceptanceRate,
    exactDraws,
    budgetProbability,
    cheapest,
    summary,
  };
}
