// Uniform paths of a one-shot supernet within its active ops, optionally within the study's
// constraints and within FLOPs (or latency) bins, as SPOS trains and ABS scores: a training step
// samples one path uniformly (SPOS: "uniform sampling"), or first picks one of N equal cost bins
// uniformly and then a path in it (SPOS's constrained sampling, so cheap and dear paths are
// trained alike). A layer may be fixed to one op (ABS scores an op by the paths that contain it).
// Rejection sampling with a bounded number of tries; a bin nothing falls in gives way to any
// feasible path. A tight budget that uniform draws rarely meet (a SPOS run held to a small
// network's FLOPs) is met by exact draws from the uniform distribution restricted to it
// (`within`: budgetSampling's conditioned drawer). Deterministic for a given Rng. No engine here.
import type { CostModel } from '../cost/costModel';
import { violations, type Constraint } from '../cost/constraints';
import type { Rng } from '../random/rng';
import { checkActiveOps, type ActiveOps } from './activeOps';
import { conditionedDrawer } from './budgetSampling';
import { architectureCost, type CandidateCosts } from './candidateCosts';
import { archOfIndices, type SupernetLayout } from './layout';

export interface PathSamplerOptions {
  layout: SupernetLayout;
  /** The ops a path may pick (default every candidate). */
  active?: ActiveOps;
  /** Whether a path is allowed (the study's constraints: `constraintFilter`); default every path. */
  feasible?: (indices: readonly number[]) => boolean;
  /** Cost bins: pick one of `count` equal bins between the cheapest and the dearest active path, then a path in it. */
  bins?: { costs: CandidateCosts; count: number };
  /** Draws per path before giving up (default 200). */
  maxTries?: number;
  /**
   * The budget of an additive cost behind `feasible` (a study's FLOPs constraint in the costs'
   * unit): when rejection finds no feasible path, one is drawn exactly from the uniform
   * distribution over the active ops restricted to `costs <= max`.
   */
  within?: { costs: CandidateCosts; max: number };
}

export interface SamplerStats {
  /** Paths returned, draws made, bins that gave way to any feasible path, and exact draws within the budget. */
  paths: number;
  draws: number;
  binMisses: number;
  exactDraws: number;
}

/** Memoized feasibility of paths under a study's constraints (its cost model). */
export function constraintFilter(
  layout: SupernetLayout,
  model: Pick<CostModel, 'costs'>,
  constraints: readonly Constraint[],
): ((indices: readonly number[]) => boolean) | undefined {
  if (!constraints.length) return undefined;
  const cache = new Map<string, boolean>();
  return (indices) => {
    const key = indices.join('-');
    let ok = cache.get(key);
    if (ok === undefined) {
      ok = violations(constraints, model.costs(archOfIndices(layout, indices))).length === 0;
      if (cache.size > 200_000) cache.clear();
      cache.set(key, ok);
    }
    return ok;
  };
}

/** The largest value of a study's constraint on a cost kind, if any ('flops<=5M' -> 5e6). */
export function constraintMax(constraints: readonly Constraint[], kind: Constraint['kind']): number | null {
  const m = constraints.filter((c) => c.kind === kind).map((c) => c.max);
  return m.length ? Math.min(...m) : null;
}

export class PathSampler {
  readonly layout: SupernetLayout;
  readonly stats: SamplerStats = { paths: 0, draws: 0, binMisses: 0, exactDraws: 0 };
  private active: ActiveOps;
  private readonly maxTries: number;
  private edges: number[] | null = null;
  /** Exact drawers within `within.max`, per fixed (layer, op); rebuilt when the active ops change. */
  private readonly drawers = new Map<string, ReturnType<typeof conditionedDrawer>>();

  constructor(private readonly o: PathSamplerOptions) {
    this.layout = o.layout;
    this.maxTries = o.maxTries ?? 200;
    if (o.bins && !(Number.isInteger(o.bins.count) && o.bins.count >= 1))
      throw new Error(`PathSampler: bins.count must be a positive integer, got ${o.bins.count}`);
    this.active = o.active ?? o.layout.layers.map((l) => l.candidates.map((_, i) => i));
    this.setActive(this.active);
  }

  /** The ops paths pick from now on (a shrunk space). */
  setActive(active: ActiveOps): void {
    checkActiveOps(this.layout, active);
    this.active = active.map((a) => [...a]);
    this.drawers.clear();
    const b = this.o.bins;
    if (b) {
      const lo = architectureCost(
        b.costs,
        this.active.map((a, l) => a.reduce((m, i) => (b.costs.perLayer[l]![i]! < b.costs.perLayer[l]![m]! ? i : m))),
      );
      const hi = architectureCost(
        b.costs,
        this.active.map((a, l) => a.reduce((m, i) => (b.costs.perLayer[l]![i]! > b.costs.perLayer[l]![m]! ? i : m))),
      );
      this.edges = Array.from({ length: b.count + 1 }, (_, k) => lo + ((hi - lo) * k) / b.count);
    }
  }

  get activeOps(): ActiveOps {
    return this.active.map((a) => [...a]);
  }

  /** One uniform path over the active ops, every layer but `fixed` (layer -> op) drawn. */
  private drawOnce(rng: Rng, fixed?: { layer: number; op: number }): number[] {
    return this.active.map((a, l) => {
      const i = a[rng.int(a.length)]!;
      return fixed && fixed.layer === l ? fixed.op : i;
    });
  }

  /**
   * A feasible path (in a uniformly drawn cost bin, with bins), optionally with layer `fixed.layer`
   * on op `fixed.op`; null when no feasible path came in maxTries draws.
   */
  draw(rng: Rng, fixed?: { layer: number; op: number }): number[] | null {
    const feasible = this.o.feasible ?? (() => true);
    let bin: [number, number] | null = null;
    if (this.edges && this.o.bins) {
      const k = rng.int(this.o.bins.count);
      bin = [this.edges[k]!, this.edges[k + 1]!];
    }
    let fallback: number[] | null = null;
    for (let t = 0; t < this.maxTries; t++) {
      const p = this.drawOnce(rng, fixed);
      this.stats.draws++;
      if (!feasible(p)) continue;
      if (bin) {
        const c = architectureCost(this.o.bins!.costs, p);
        const last = bin[1] === this.edges!.at(-1);
        if (!(c >= bin[0] && (c < bin[1] || (last && c <= bin[1])))) {
          fallback ??= p;
          continue;
        }
      }
      this.stats.paths++;
      return p;
    }
    if (fallback) {
      this.stats.binMisses++;
      this.stats.paths++;
      return fallback;
    }
    return this.drawWithin(rng, feasible, fixed);
  }

  /** A feasible path drawn exactly from the uniform distribution within the `within` budget; null without one. */
  private drawWithin(
    rng: Rng,
    feasible: (indices: readonly number[]) => boolean,
    fixed?: { layer: number; op: number },
  ): number[] | null {
    const w = this.o.within;
    if (!w) return null;
    const key = fixed ? `${fixed.layer}:${fixed.op}` : '';
    if (!this.drawers.has(key)) {
      const uniform = this.active.map((a, l) =>
        this.layout.layers[l]!.candidates.map((_, i) =>
          fixed && fixed.layer === l ? Number(i === fixed.op) : a.includes(i) ? 1 / a.length : 0,
        ),
      );
      this.drawers.set(key, conditionedDrawer(uniform, w.costs, w.max));
    }
    const drawer = this.drawers.get(key);
    if (!drawer) return null; // nothing within the budget
    for (let t = 0; t < this.maxTries; t++) {
      const p = drawer.draw(rng);
      this.stats.exactDraws++;
      if (!feasible(p)) continue;
      this.stats.paths++;
      return p;
    }
    return null;
  }
}
