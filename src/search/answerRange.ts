// How far a budget's answer lies from what the answering model learnt from. A predictor answers any
// budget, but below the cheapest trial it was fitted on (or above the dearest) it extrapolates: on
// the fbnet-s table such answers landed points below the best architecture within the budget, where
// answers inside the evaluated range were within a fraction of a point (BENCHMARKS.md). So every
// answer carries its range: the budget and the answer's cost against the costs of the trials the
// model learnt from, in the budget's own metric, and the nearest of those trials by choices.
import { formatCost, type Constraint } from '../cost/constraints';
import { costField, type ArchCosts } from '../cost/costModel';
import type { Arch, Space } from '../space/types';
import { parseArch } from '../space/archFormat';
import type { TrialRecord } from '../study/types';

export interface AnswerRange {
  /** The budget's metric ('flops', 'params', 'latency'). */
  kind: Constraint['kind'];
  /** The budget's bound (FLOPs, params, or microseconds). */
  budget: number;
  /** The answer's cost in that metric. */
  cost: number | null;
  /** Trials with a measured objective that the answering model learnt from. */
  learnt: number;
  /** Their lowest and highest cost in the budget's metric (null when none). */
  lowest: number | null;
  highest: number | null;
  /** How many of them lie within the budget. */
  withinBudget: number;
  /** True when the answer's cost is outside [lowest, highest] (or the model learnt from no trial). */
  extrapolated: boolean;
  side: 'below' | 'above' | null;
  /** How far outside, relative: (lowest - cost) / lowest below, (cost - highest) / highest above, 0 inside. */
  distance: number;
  /** The learnt trial nearest the answer by choices: how many of the searched choices differ. */
  nearest: { trial: number; differences: number; choices: number } | null;
}

export interface RangeInput {
  space: Space;
  budget: Constraint;
  answer: Arch;
  costs: ArchCosts;
  /** The trials the answering model learnt from (complete, with a finite objective). */
  learnt: readonly TrialRecord[];
}

/** The answer's range (see the file comment). */
export function answerRange(i: RangeInput): AnswerRange {
  const field = costField(i.budget.kind);
  const cost = i.costs[field];
  const costs = i.learnt.map((t) => t.costs[field]).filter((v): v is number => v !== null && Number.isFinite(v));
  const lowest = costs.length ? Math.min(...costs) : null;
  const highest = costs.length ? Math.max(...costs) : null;
  let side: AnswerRange['side'] = null;
  let distance = 0;
  if (cost !== null && lowest !== null && highest !== null) {
    if (cost < lowest) {
      side = 'below';
      distance = (lowest - cost) / lowest;
    } else if (cost > highest) {
      side = 'above';
      distance = (cost - highest) / highest;
    }
  }
  const dims = i.space.dims.filter((d) => d.values.length > 1);
  let nearest: AnswerRange['nearest'] = null;
  for (const t of i.learnt) {
    const a = parseArch(i.space, t.arch);
    const differences = dims.filter((d) => a[d.key] !== i.answer[d.key]).length;
    if (!nearest || differences < nearest.differences) nearest = { trial: t.number, differences, choices: dims.length };
  }
  return {
    kind: i.budget.kind,
    budget: i.budget.max,
    cost,
    learnt: i.learnt.length,
    lowest,
    highest,
    withinBudget: costs.filter((v) => v <= i.budget.max).length,
    extrapolated: side !== null || !i.learnt.length,
    side,
    distance,
    nearest,
  };
}

const unit = (kind: Constraint['kind']) => (kind === 'flops' ? ' FLOPs' : kind === 'params' ? ' params' : '');

/** One sentence for people ("the study evaluated nothing below 3.1M FLOPs; this answer extrapolates ..."). */
export function rangeText(r: AnswerRange): string {
  const c = (v: number | null) => `${formatCost(r.kind, v)}${unit(r.kind)}`;
  const near = r.nearest
    ? `; the nearest evaluated architecture (trial ${r.nearest.trial}) differs in ${r.nearest.differences} of ${r.nearest.choices} choices`
    : '';
  const close =
    '; `evaluate` K evaluates K candidates within the budget and refits the predictor on them, to close the gap';
  if (!r.learnt) return `the predictor learnt from no evaluated trial: this answer is its extrapolation${close}`;
  if (r.side === 'below')
    return (
      `the study evaluated nothing below ${c(r.lowest)} (the cheapest of the ${r.learnt} trials the predictor learnt from); ` +
      `this answer (${c(r.cost)}) extrapolates the predictor ${(100 * r.distance).toFixed(0)}% below that${near}${close}`
    );
  if (r.side === 'above')
    return (
      `the study evaluated nothing above ${c(r.highest)} (the dearest of the ${r.learnt} trials the predictor learnt from); ` +
      `this answer (${c(r.cost)}) extrapolates the predictor ${(100 * r.distance).toFixed(0)}% above that${near}${close}`
    );
  return (
    `inside what the study evaluated: this answer (${c(r.cost)}) lies between ${c(r.lowest)} and ${c(r.highest)}, ` +
    `${r.withinBudget} of the ${r.learnt} trials the predictor learnt from are within the budget${near}`
  );
}
