// Validation evaluates in eval mode, where BatchNorm normalises with its running statistics (an
// average over recent training batches, momentum 0.1) instead of each batch's own. After only a
// few dozen optimizer steps those statistics still lag the weights (the depthwise layers' most),
// and the network in eval mode predicts one class: validation sits at chance while training
// accuracy climbs. The data is learnable (synthetic data reaches 80% training accuracy in three
// short epochs, and the same weights with re-estimated statistics validate near their training
// accuracy); the run is too short for its statistics. This says so where it happens.
//
// A whole study can sit there too (every trial of a budget this small is alike): `studyChanceNote`
// says so once, for the report's first line and the end of a search, instead of a "best" trial
// and a Pareto front that only rank noise.
import type { EpochMetrics } from './trainer';

/** The accuracy of guessing: one over the number of classes. */
export function chanceAccuracy(classes: number): number {
  return 1 / classes;
}

/**
 * Whether an accuracy (a fraction) is chance level for `classes` classes: at most chance plus a
 * small margin (a fifth of chance, at most 2 points), so 10.00% to 12.00% with 10 classes and
 * 50% to 52% with 2, while a network that learned a little is above it.
 */
export function isAtChance(accuracy: number, classes: number): boolean {
  if (!Number.isFinite(accuracy) || !(classes >= 2)) return false;
  const chance = chanceAccuracy(classes);
  return accuracy <= chance + Math.min(0.2 * chance, 0.02);
}

/** A note when a run's validation accuracy is at chance while its training accuracy is well above. */
export function chanceValidationNote(epochs: readonly EpochMetrics[], classes: number, steps: number): string | null {
  const last = epochs.at(-1);
  if (!last || !Number.isFinite(last.valAcc) || classes < 2) return null;
  const chance = chanceAccuracy(classes);
  if (last.valAcc > 1.5 * chance || last.trainAcc < last.valAcc + 0.15) return null;
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  return (
    `note: validation accuracy ${pct(last.valAcc)} is chance level (${classes} classes) while training accuracy reached ` +
    `${pct(last.trainAcc)}: validation runs in eval mode, where BatchNorm uses running statistics that after ${steps} ` +
    `optimizer step${steps === 1 ? '' : 's'} still lag the weights; train more steps (more \`epochs\` or \`limitTrain\`, ` +
    'or a smaller `batchSize`) for a validation accuracy that means something'
  );
}

/** What `studyChanceNote` reads of a trial (a stored trial or a report's). */
export interface ChanceTrial {
  state: string;
  metrics: Record<string, number | null | undefined>;
}

/**
 * A note when every complete trial's accuracy sits at chance level for `classes` classes, else
 * null. The accuracy is `metric` when it is one (an accuracy-like name), else `accuracy`; values
 * above 1 are taken as percentages.
 */
export function studyChanceNote(trials: readonly ChanceTrial[], metric: string, classes: number | null): string | null {
  if (classes === null || !(classes >= 2)) return null;
  const name = /acc|top1/i.test(metric) ? metric : 'accuracy';
  const values = trials
    .filter((t) => t.state === 'complete')
    .map((t) => t.metrics[name])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!values.length) return null;
  const percent = values.some((v) => v > 1);
  if (!values.every((v) => isAtChance(percent ? v / 100 : v, classes))) return null;
  const pct = (v: number) => `${(percent ? v : 100 * v).toFixed(2)}%`;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const n = values.length;
  return (
    `${n === 1 ? 'The one complete trial sits' : `All ${n} complete trials sit`} at chance level: ${name} ` +
    `${lo === hi ? pct(lo) : `${pct(lo)} to ${pct(hi)}`}, where guessing among ${classes} classes gives ` +
    `${(100 * chanceAccuracy(classes)).toFixed(2)}%. No network learned anything measurable, so the best trial and the ` +
    'Pareto front rank noise: train longer (more `train.epochs` or `train.limitTrain`) before comparing architectures'
  );
}
