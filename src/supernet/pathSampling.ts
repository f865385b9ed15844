// Paths through a supernet: one candidate index per layer of the layout. Drawn uniformly (a
// one-shot supernet's training step), or from per-layer distributions, layers independent
// (a search's learned ones, after it: draws, and the per-layer argmax). Every draw takes one
// number per layer from a seeded Rng, so a seed gives the same paths. budgetSampling.ts keeps
// paths within a cost budget. No engine here.
import { Rng } from '../random/rng';
import type { Arch, Space } from '../space/types';
import { archOfIndices, argmax, formatIndicesArch, supernetLayout, type SupernetLayout } from './layout';

export interface SampledArchitecture {
  arch: Arch;
  /** Candidate index per layer (the layout's layers). */
  indices: number[];
  /** The compact architecture string. */
  text: string;
  /** Log-probability of the architecture under the distributions. */
  logProb: number;
}

export interface SampleOptions {
  /** Drop repeats, so the result holds up to k distinct architectures (default true). */
  unique?: boolean;
  /** With unique, stop after this many draws even if fewer than k distinct were found (default 100 k). */
  maxDraws?: number;
}

/** Throws unless there is one probability distribution per layer, one probability per candidate. */
export function checkDistributions(layout: SupernetLayout, dists: readonly (readonly number[])[]): void {
  const name = layout.space.name;
  if (dists.length !== layout.layers.length) {
    throw new Error(
      `space '${name}' has ${layout.layers.length} layers, the distributions ${dists.length}; pass one distribution per layer (the search's final 'distributions')`,
    );
  }
  layout.layers.forEach((l, n) => {
    const p = dists[n]!;
    if (p.length !== l.candidates.length)
      throw new Error(`${l.key}: distribution has ${p.length} probabilities for ${l.candidates.length} candidates`);
    const sum = p.reduce((a, b) => a + b, 0);
    if (p.some((v) => !(v >= 0)) || Math.abs(sum - 1) > 1e-4) {
      throw new Error(`${l.key}: [${p.join(', ')}] is not a probability distribution (non-negative, summing to 1)`);
    }
  });
}

/** A path as an architecture: its arch, indices, compact string and log-probability under the distributions. */
export function describePath(
  layout: SupernetLayout,
  dists: readonly (readonly number[])[],
  indices: number[],
): SampledArchitecture {
  return {
    arch: archOfIndices(layout, indices),
    indices,
    text: formatIndicesArch(layout, indices),
    logProb: indices.reduce((s, i, l) => s + Math.log(dists[l]![i]!), 0),
  };
}

/** Draws one candidate index per layer from the distributions (inverse CDF, one draw per layer). */
export function drawIndices(dists: readonly (readonly number[])[], rng: Rng): number[] {
  return dists.map((p) => {
    const u = rng.next();
    let acc = 0;
    for (let i = 0; i < p.length; i++) {
      acc += p[i]!;
      if (u < acc) return i;
    }
    // Rounding left u above the total: the last candidate with positive probability.
    for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return i;
    return p.length - 1;
  });
}

/**
 * k architectures drawn from per-layer distributions (a search's learned ones), layers independent,
 * seeded. With `unique` (the default) repeats are dropped, in order of first appearance; a
 * peaked distribution may then give fewer than k.
 */
export function sampleArchitectures(
  space: Space,
  distributions: readonly (readonly number[])[],
  k: number,
  seed: number,
  o: SampleOptions = {},
): SampledArchitecture[] {
  if (!Number.isInteger(k) || k < 0) throw new Error(`sampleArchitectures: k must be a non-negative integer, got ${k}`);
  const layout = supernetLayout(space);
  checkDistributions(layout, distributions);
  const rng = new Rng(seed);
  const unique = o.unique ?? true;
  const maxDraws = o.maxDraws ?? 100 * k;
  const out: SampledArchitecture[] = [];
  const seen = new Set<string>();
  for (let draws = 0; out.length < k && (!unique || draws < maxDraws); draws++) {
    const idx = drawIndices(distributions, rng);
    const key = idx.join('-');
    if (unique && seen.has(key)) continue;
    seen.add(key);
    out.push(describePath(layout, distributions, idx));
  }
  return out;
}

/** The per-layer most probable candidate (the first on ties). */
export function argmaxArchitecture(space: Space, distributions: readonly (readonly number[])[]): SampledArchitecture {
  const layout = supernetLayout(space);
  checkDistributions(layout, distributions);
  return describePath(layout, distributions, distributions.map(argmax));
}

/**
 * Per layer, the uniform distribution over its candidates (1/K each): sampleArchitectures and
 * sampleWithinBudget (budgetSampling.ts) with these draw uniform paths, within a budget or not.
 */
export function uniformDistributions(layout: SupernetLayout): number[][] {
  return layout.layers.map((l) => l.candidates.map(() => 1 / l.candidates.length));
}

/** A path drawn uniformly: every layer's candidate uniform over its candidates (one draw per layer, fixed layers included). */
export function uniformIndices(layout: SupernetLayout, rng: Rng): number[] {
  return layout.layers.map((l) => rng.int(l.candidates.length));
}
