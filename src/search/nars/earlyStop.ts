// Stage 2's early stopping (spec fbnetv3.md 3, step 3): after round 1, rank its candidates by their
// accuracy at every epoch and by their final accuracy; the early-stopping epoch e is the first
// epoch whose rank correlation with the final ranking reaches the threshold (0.92 by default).
// Later candidates train only e epochs of the same schedule. Pure: per-epoch records in, e out.
// Evaluators without epochs (tabular, synthetic) have nothing to stop early.
import { kendallTau, spearman } from '../../stats/correlation';

export interface EarlyStopDecision {
  /** False when there is nothing to stop early (no epochs, too few candidates); `reason` says why. */
  applies: boolean;
  /** e: the candidates of later rounds train this many epochs; null when they train all. */
  epoch: number | null;
  /** The recipe's epochs (round 1 trained them all). */
  epochs: number | null;
  threshold: number;
  correlation: 'kendall' | 'spearman';
  /** The rank correlation of each epoch's ranking with the final one (the paper's Figure 5). */
  curve: Array<{ epoch: number; value: number }>;
  /** Round-1 candidates with every epoch recorded. */
  candidates: number;
  reason: string;
}

export interface EarlyStopInput {
  /** Per round-1 candidate, its per-epoch values of the objective (epoch 1 first). */
  series: ReadonlyArray<readonly number[]>;
  threshold: number;
  correlation: 'kendall' | 'spearman';
  /** Higher is better (accuracy) or lower (a loss): only the sign of the ranking. */
  maximize: boolean;
}

/** Chooses e (see the file comment). */
export function chooseEarlyStopEpoch(i: EarlyStopInput): EarlyStopDecision {
  const base = { threshold: i.threshold, correlation: i.correlation };
  const epochs = i.series.length ? Math.max(...i.series.map((s) => s.length)) : 0;
  const full = i.series.filter((s) => s.length === epochs && s.every(Number.isFinite));
  if (!epochs)
    return {
      ...base,
      applies: false,
      epoch: null,
      epochs: null,
      curve: [],
      candidates: 0,
      reason: 'the evaluator records no epochs (a table or a synthetic function): every candidate is evaluated in full',
    };
  if (full.length < 3)
    return {
      ...base,
      applies: false,
      epoch: null,
      epochs,
      curve: [],
      candidates: full.length,
      reason: `only ${full.length} round-1 candidate(s) trained every epoch: too few to rank (3 at least); later candidates train all ${epochs} epochs`,
    };
  const sign = i.maximize ? 1 : -1;
  const last = full.map((s) => sign * s[epochs - 1]!);
  const corr = i.correlation === 'kendall' ? kendallTau : spearman;
  const curve = Array.from({ length: epochs }, (_, k) => {
    const v = corr(
      full.map((s) => sign * s[k]!),
      last,
    );
    // The last epoch is the final ranking itself (1, even when every candidate ties).
    return { epoch: k + 1, value: k === epochs - 1 ? 1 : Number.isFinite(v) ? v : 0 };
  });
  const hit = curve.find((c) => c.value >= i.threshold)!; // the last epoch correlates 1 with itself
  const name = i.correlation === 'kendall' ? "Kendall's tau" : "Spearman's rho";
  return {
    ...base,
    applies: true,
    epoch: hit.epoch < epochs ? hit.epoch : null,
    epochs,
    curve,
    candidates: full.length,
    reason:
      hit.epoch < epochs
        ? `epoch ${hit.epoch} of ${epochs} ranks round 1's ${full.length} candidates with ${name} ${hit.value.toFixed(3)} >= ${i.threshold} against their final ranking: later candidates train ${hit.epoch} epoch${hit.epoch === 1 ? '' : 's'}`
        : `no epoch before the last reaches ${name} ${i.threshold} against the final ranking of round 1's ${full.length} candidates: later candidates train all ${epochs} epochs`,
  };
}
