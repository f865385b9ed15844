// The costs a search records and constrains, for any architecture of a study's space: analytic
// FLOPs and params (for the evaluator's input shape and classes), latency predicted from a lookup
// table, and whatever an evaluator knows better (a tabular benchmark's own FLOPs). Also the exact
// minimum of each cost where the space allows it: in a layer-wise space whose only searched
// choices are the layers' ops, every cost is a sum of per-layer terms, so the cheapest
// architecture takes each layer's cheapest op.
import { archFromIndices, archIndices, defaultArch } from '../space/archFormat';
import { layerDims } from '../space/layerDims';
import { sampleUniform } from '../arch/sample';
import { archCost } from './netCost';
import { Rng } from '../random/rng';
import type { Arch, DecodeOptions, Space } from '../space/types';

/** The costs of one architecture, as a trial records them. */
export interface ArchCosts {
  /** Multiply-accumulates (the FLOPs convention of cost-conventions.md). */
  flops: number | null;
  params: number | null;
  /** Predicted from a latency table, microseconds. */
  latencyUs: number | null;
}

export type CostKind = 'flops' | 'params' | 'latency';

/** The ArchCosts field of a cost kind. */
export const costField = (k: CostKind): keyof ArchCosts => (k === 'latency' ? 'latencyUs' : k);

export interface CostMinimum {
  value: number;
  arch: Arch;
  /** 'exact' (per-layer minima of an additive cost), 'table' (over a table's entries), or 'sampled' (smallest of n draws). */
  how: 'exact' | 'table' | 'sampled';
  samples?: number;
}

/** What an evaluator may know about costs (a tabular benchmark's FLOPs and params). */
export interface CostOverride {
  /** The costs it gives (for the architectures it knows). */
  provides: readonly CostKind[];
  costs(arch: Arch): Partial<ArchCosts>;
  /** The minimum over the evaluator's own set of architectures, when it covers this cost. */
  minimum?(kind: CostKind): CostMinimum | null;
}

export interface CostModel {
  readonly space: Space;
  readonly hasLatency: boolean;
  costs(arch: Arch): ArchCosts;
  /** The smallest value of a cost over the space: exact where possible, else the smallest of many draws. */
  minimum(kind: CostKind, seed?: number): CostMinimum;
}

export interface CostModelOptions {
  /** Input shape and classes the architectures are evaluated with (default: the space's). */
  decode?: DecodeOptions;
  /** Predicted latency in microseconds (from a lookup table). */
  latency?: (arch: Arch) => number;
  override?: CostOverride;
}

/** True when every cost is a sum of one term per searched choice (see the file comment). */
export function costsAreAdditive(space: Space): boolean {
  const layers = new Set(layerDims(space).map((d) => d.key));
  return space.style === 'layerwise' && space.searchDims.every((d) => layers.has(d.key) || d.group === 'recipe');
}

/** The exact minimum of an additive function of the searched choices: each choice at its cheapest. */
export function additiveMinimum(space: Space, f: (a: Arch) => number): { value: number; arch: Arch } {
  const base = archIndices(space, defaultArch(space));
  const f0 = f(archFromIndices(space, base));
  const best = [...base];
  space.searchDims.forEach((d, j) => {
    let arg = base[j]!;
    let min = Infinity;
    for (let a = 0; a < d.values.length; a++) {
      const idx = [...base];
      idx[j] = a;
      const v = a === base[j] ? f0 : f(archFromIndices(space, idx));
      if (v < min) {
        min = v;
        arg = a;
      }
    }
    best[j] = arg;
  });
  const arch = archFromIndices(space, best);
  return { value: f(arch), arch };
}

export const MINIMUM_SAMPLES = 4096;

export function makeCostModel(space: Space, o: CostModelOptions = {}): CostModel {
  const analytic = (arch: Arch) => archCost(space, arch, o.decode ?? {});
  const costs = (arch: Arch): ArchCosts => {
    const over = o.override?.costs(arch) ?? {};
    const needAnalytic = over.flops == null || over.params == null;
    const a = needAnalytic ? analytic(arch) : null;
    return {
      flops: over.flops ?? a!.flops,
      params: over.params ?? a!.params,
      latencyUs: over.latencyUs ?? (o.latency ? o.latency(arch) : null),
    };
  };
  const value = (kind: CostKind) => (arch: Arch) => {
    const v = costs(arch)[costField(kind)];
    if (v === null)
      throw new Error(
        `no ${kind} for this study: ${kind === 'latency' ? 'give a latency table (`lut` FILE)' : 'no cost model'}`,
      );
    return v;
  };
  const cache = new Map<CostKind, CostMinimum>();
  return {
    space,
    hasLatency: !!o.latency || !!o.override?.provides.includes('latency'),
    costs,
    minimum(kind, seed = 0) {
      const hit = cache.get(kind);
      if (hit) return hit;
      let m = o.override?.minimum?.(kind) ?? null;
      if (!m && costsAreAdditive(space)) m = { ...additiveMinimum(space, value(kind)), how: 'exact' };
      if (!m) {
        const f = value(kind);
        const rng = new Rng(seed);
        let best: CostMinimum = { value: Infinity, arch: defaultArch(space), how: 'sampled', samples: MINIMUM_SAMPLES };
        for (let i = 0; i < MINIMUM_SAMPLES; i++) {
          const a = i === 0 ? defaultArch(space) : sampleUniform(space, rng);
          const v = f(a);
          if (v < best.value) best = { value: v, arch: a, how: 'sampled', samples: MINIMUM_SAMPLES };
        }
        m = best;
      }
      cache.set(kind, m);
      return m;
    },
  };
}
