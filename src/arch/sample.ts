// Drawing architectures: uniform, scrambled Sobol (quasi-Monte-Carlo), mutation and crossover.
// Every function takes a seed or an Rng; only the searched dimensions vary.
import { archFromIndices, archIndices } from '../space/archFormat';
import { Rng } from '../random/rng';
import { Sobol } from './sobol';
import type { Arch, Space } from '../space/types';

const asRng = (r: Rng | number | undefined) => (r instanceof Rng ? r : new Rng(r ?? 0));

/** One architecture, each searched dimension uniform over its values. */
export function sampleUniform(space: Space, rng: Rng | number = 0): Arch {
  const r = asRng(rng);
  return archFromIndices(
    space,
    space.searchDims.map((d) => r.int(d.values.length)),
  );
}

/** n architectures drawn uniformly. */
export function sampleUniformN(space: Space, n: number, seed = 0): Arch[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => sampleUniform(space, r));
}

/** Maps a point of [0, 1)^d to an architecture: coordinate j picks value floor(u_j * |values_j|). */
export function archFromUnit(space: Space, u: readonly number[]): Arch {
  if (u.length !== space.searchDims.length)
    throw new Error(`expected ${space.searchDims.length} coordinates, got ${u.length}`);
  return archFromIndices(
    space,
    space.searchDims.map((d, j) => Math.min(d.values.length - 1, Math.floor(u[j]! * d.values.length))),
  );
}

/**
 * A stream of architectures from a (scrambled, by default) Sobol sequence over the searched
 * dimensions: the pool of FBNetV3's predictor pretraining. With 2^m draws each dimension's
 * values are hit in proportion to how often floor(u * k) lands on them.
 */
export class SobolSampler {
  readonly sobol: Sobol | null;
  constructor(
    readonly space: Space,
    o: { seed?: number; scramble?: boolean } = {},
  ) {
    this.sobol = space.searchDims.length ? new Sobol(space.searchDims.length, o) : null;
  }
  next(): Arch {
    return archFromUnit(this.space, this.sobol ? this.sobol.next() : []);
  }
  take(n: number): Arch[] {
    return Array.from({ length: n }, () => this.next());
  }
}

export function sampleSobol(space: Space, n: number, o: { seed?: number; scramble?: boolean } = {}): Arch[] {
  return new SobolSampler(space, o).take(n);
}

export interface MutateOptions {
  /** Probability that each searched dimension changes (default 1 / number of searched dims). */
  prob?: number;
  /** Force at least one change (default true), so the child differs from its parent. */
  atLeastOne?: boolean;
}

/** A copy of arch with some searched dimensions set to a different value. */
export function mutate(space: Space, arch: Arch, rng: Rng | number = 0, o: MutateOptions = {}): Arch {
  const r = asRng(rng);
  const dims = space.searchDims;
  if (!dims.length) return { ...arch };
  const p = o.prob ?? 1 / dims.length;
  const idx = archIndices(space, arch);
  let changed = 0;
  const change = (j: number) => {
    const k = dims[j]!.values.length;
    idx[j] = (idx[j]! + 1 + r.int(k - 1)) % k; // any other value, uniformly
    changed++;
  };
  for (let j = 0; j < dims.length; j++) if (r.next() < p) change(j);
  if (!changed && (o.atLeastOne ?? true)) change(r.int(dims.length));
  return archFromIndices(space, idx);
}

/**
 * Uniform crossover: each searched dimension comes from b with probability `prob` (default 1/2),
 * else from a. With `byGroup`, whole groups (stages, the recipe) are inherited together.
 */
export function crossover(
  space: Space,
  a: Arch,
  b: Arch,
  rng: Rng | number = 0,
  o: { byGroup?: boolean; prob?: number } = {},
): Arch {
  const r = asRng(rng);
  const fromAWhenBelow = 1 - (o.prob ?? 0.5);
  const ia = archIndices(space, a);
  const ib = archIndices(space, b);
  const fromA = new Map<string, boolean>();
  const out = space.searchDims.map((d, j) => {
    const key = o.byGroup ? d.group : d.key;
    if (!fromA.has(key)) fromA.set(key, r.next() < fromAWhenBelow);
    return fromA.get(key) ? ia[j]! : ib[j]!;
  });
  return archFromIndices(space, out);
}
