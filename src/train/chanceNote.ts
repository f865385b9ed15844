// Validation evaluates in eval mode, where BatchNorm normalises with its running statistics (an
// average over recent training batches, momentum 0.1) instead of each batch's own. After only a
// few dozen optimizer steps those statistics still lag the weights (the depthwise layers' most),
// and the network in eval mode predicts one class: validation sits at chance while training
// accuracy climbs. The data is learnable (synthetic data reaches 80% training accuracy in three
// short epochs, and the same weights with re-estimated statistics validate near their training
// accuracy); the run is too short for its statistics. This says so where it happens.
import type { EpochMetrics } from './trainer';

/** A note when a run's validation accuracy is at chance while its training accuracy is well above. */
export function chanceValidationNote(epochs: readonly EpochMetrics[], classes: number, steps: number): string | null {
  const last = epochs.at(-1);
  if (!last || !Number.isFinite(last.valAcc) || classes < 2) return null;
  const chance = 1 / classes;
  if (last.valAcc > 1.5 * chance || last.trainAcc < last.valAcc + 0.15) return null;
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  return (
    `note: validation accuracy ${pct(last.valAcc)} is chance level (${classes} classes) while training accuracy reached ` +
    `${pct(last.trainAcc)}: validation runs in eval mode, where BatchNorm uses running statistics that after ${steps} ` +
    `optimizer step${steps === 1 ? '' : 's'} still lag the weights; train more steps (more \`epochs\` or \`limitTrain\`, ` +
    'or a smaller `batchSize`) for a validation accuracy that means something'
  );
}
