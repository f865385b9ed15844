// ABS's search-space shrinking (Hu et al. 2020): every (layer, op) still in the space is scored
// by the mean angle of up to N sampled paths that contain it and meet the constraints (pathAngle.ts),
// and the lowest-scoring ops are dropped, never a layer's last one. The score function is given,
// so NSE can score by angle, by its learned probabilities, or both. No engine here.
import type { Rng } from '../random/rng';
import { dropOp, pathCount, type ActiveOps } from './activeOps';
import type { SupernetLayout } from './layout';
import type { PathSampler } from './pathSampler';

export interface OpScore {
  layer: number;
  op: number;
  /** The layer's key and the op's name. */
  key: string;
  name: string;
  /** Mean angle of the paths sampled with this op (NaN when none was feasible). */
  score: number;
  /** Paths the mean is over. */
  paths: number;
}

/**
 * Scores every active op by the mean of `pathScore` over up to `pathsPerOp` feasible paths that
 * contain it (drawn by the sampler with the op fixed). Ops of one-op layers are scored too (they
 * cannot be dropped, but the report shows them).
 */
export function scoreOps(o: {
  layout: SupernetLayout;
  sampler: PathSampler;
  pathScore: (indices: readonly number[]) => number;
  pathsPerOp: number;
  rng: Rng;
}): OpScore[] {
  if (!(Number.isInteger(o.pathsPerOp) && o.pathsPerOp >= 1))
    throw new Error(`scoreOps: pathsPerOp must be a positive integer, got ${o.pathsPerOp}`);
  const active = o.sampler.activeOps;
  const out: OpScore[] = [];
  o.layout.layers.forEach((l, layer) => {
    for (const op of active[layer]!) {
      let sum = 0;
      let n = 0;
      // Fewer distinct paths than asked exist in a small space: no point drawing repeats.
      const others = pathCount(active) / active[layer]!.length;
      const want = Math.min(o.pathsPerOp, Math.max(1, Math.round(others)));
      for (let k = 0; k < want; k++) {
        const p = o.sampler.draw(o.rng, { layer, op });
        if (!p) break;
        sum += o.pathScore(p);
        n++;
      }
      out.push({ layer, op, key: l.key, name: l.candidates[op]!.op, score: n ? sum / n : NaN, paths: n });
    }
  });
  return out;
}

/**
 * The `count` lowest-scoring ops that may go (an op with no feasible path scores lowest), never
 * a layer's last op: a layer down to one op is skipped and the next lowest taken. Ties go to the
 * earlier layer and op.
 */
export function opsToDrop(active: ActiveOps, scores: readonly OpScore[], count: number): OpScore[] {
  if (!(Number.isInteger(count) && count >= 0))
    throw new Error(`opsToDrop: count must be a non-negative integer, got ${count}`);
  const left = active.map((a) => a.length);
  const order = [...scores].sort((a, b) => {
    const sa = Number.isNaN(a.score) ? -Infinity : a.score;
    const sb = Number.isNaN(b.score) ? -Infinity : b.score;
    return sa - sb || a.layer - b.layer || a.op - b.op;
  });
  const out: OpScore[] = [];
  for (const s of order) {
    if (out.length >= count) break;
    if (!active[s.layer]!.includes(s.op) || left[s.layer]! <= 1) continue;
    left[s.layer]!--;
    out.push(s);
  }
  return out;
}

/** The space without the dropped ops. */
export function withoutOps(active: ActiveOps, dropped: readonly OpScore[]): ActiveOps {
  return dropped.reduce((a, d) => dropOp(a, d.layer, d.op), active);
}
