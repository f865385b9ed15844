// What decides which ops a round keeps (`options.score`): the gate's probability sigmoid(alpha), ABS's
// angle, or both. The angle of an op is ABS's (src/supernet/pathAngle.ts, angleShrinking.ts): the
// mean angle, between initial and current weights, of up to `paths` single-op paths of the round's
// subset that contain it and meet the constraints. A round's supernet runs sets of branches, but
// an op's weights are its own whatever it was summed with, so single-op paths measure each op as
// ABS does. 'mixed' averages, per layer, the op's rank by probability and its rank by angle
// (both 1 for the best, 0 for the worst), so neither scale dominates the other.
import type { Tensor } from '../../engine/tensor';
import type { Rng } from '../../random/rng';
import { scoreOps } from '../../supernet/angleShrinking';
import { angleStats, pathAngle } from '../../supernet/pathAngle';
import { PathSampler } from '../../supernet/pathSampler';
import type { SupernetNetwork } from '../../supernet/supernetNetwork';

export type NseScoreKind = 'probability' | 'angle' | 'mixed';

/** Per layer, per op of the subset: the mean path angle (NaN when no feasible path contains the op). */
export function angleScores(o: {
  supernet: SupernetNetwork;
  initial: ReadonlyMap<string, Tensor>;
  /** Whether a single-op path (candidate indices of the round's layout) meets the constraints. */
  feasible?: (indices: readonly number[]) => boolean;
  paths: number;
  rng: Rng;
}): number[][] {
  const layout = o.supernet.layout;
  const stats = angleStats(o.supernet, o.initial);
  const scores = scoreOps({
    layout,
    sampler: new PathSampler({ layout, feasible: o.feasible }),
    pathScore: (p) => pathAngle(stats, p),
    pathsPerOp: o.paths,
    rng: o.rng,
  });
  const out = layout.layers.map((l) => l.candidates.map(() => NaN));
  for (const s of scores) out[s.layer]![s.op] = s.score;
  return out;
}

/** Ranks scaled to 1 (best) .. 0 (worst); ties share their mean rank; NaN ranks lowest. A single op ranks 1. */
export function normalizedRanks(values: readonly number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 1);
  const v = values.map((x) => (Number.isNaN(x) ? -Infinity : x));
  return v.map((x) => {
    const below = v.filter((y) => y < x).length;
    const tied = v.filter((y) => y === x).length;
    return (below + (tied - 1) / 2) / (n - 1);
  });
}

/** The scores that decide a round's kept ops, per layer and op of the subset (higher is better). */
export function roundScores(
  kind: NseScoreKind,
  probabilities: readonly (readonly number[])[],
  angles: readonly (readonly number[])[] | null,
): number[][] {
  if (kind === 'probability') return probabilities.map((row) => [...row]);
  if (!angles) throw new Error(`nse: \`options.score\` ${kind} needs the ops' angles`);
  // An op no feasible path contains scores below any angle (0..pi).
  if (kind === 'angle') return angles.map((row) => row.map((a) => (Number.isNaN(a) ? -1 : a)));
  return probabilities.map((row, l) => {
    const byP = normalizedRanks(row);
    const byA = normalizedRanks(angles[l]!);
    return row.map((_, i) => (byP[i]! + byA[i]!) / 2);
  });
}
