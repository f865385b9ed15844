// Best-so-far of a metric over the trials of a study: the curve every search is judged by.
import type { Direction } from './pareto';
import type { ReportTrial } from './types';

export interface BestSoFarPoint {
  /** The trial this point is. */
  number: number;
  source: string | null;
  finishedAt: number | null;
  /** This trial's value of the metric. */
  value: number;
  /** The best value among this trial and all before it. */
  best: number;
  /** The trial that holds `best`. */
  bestNumber: number;
  /** True when this trial set a new best. */
  improved: boolean;
}

/**
 * Best-so-far over the complete trials with a finite value of `metric`, in trial-number order
 * (`order: 'number'`) or in order of finishing (`order: 'finishedAt'`, which leaves out trials
 * without a finish time). Ties keep the earlier trial as the holder of the best.
 */
export function bestSoFar(
  trials: readonly ReportTrial[],
  metric: string,
  direction: Direction,
  order: 'number' | 'finishedAt' = 'number',
): BestSoFarPoint[] {
  const sign = direction === 'maximize' ? 1 : -1;
  const done = trials.filter(
    (t) =>
      t.state === 'complete' &&
      Number.isFinite(t.metrics[metric]) &&
      (order === 'number' || Number.isFinite(t.finishedAt)),
  );
  done.sort(
    order === 'number' ? (a, b) => a.number - b.number : (a, b) => a.finishedAt! - b.finishedAt! || a.number - b.number,
  );
  const out: BestSoFarPoint[] = [];
  let best = NaN;
  let bestNumber = -1;
  for (const t of done) {
    const value = t.metrics[metric]!;
    const improved = out.length === 0 || sign * (value - best) > 0;
    if (improved) {
      best = value;
      bestNumber = t.number;
    }
    out.push({ number: t.number, source: t.source, finishedAt: t.finishedAt, value, best, bestNumber, improved });
  }
  return out;
}
