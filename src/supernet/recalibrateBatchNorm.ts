// BatchNorm recalibration: fresh running statistics for a network whose weights came from
// elsewhere (a single path of a supernet shares its BatchNorm layers with every other path, so
// their running statistics describe the mixture, not this path). Every BatchNorm2d is reset,
// then N training batches run forward with the weights frozen (no gradient), each BatchNorm
// averaging the batch statistics with equal weight (momentum null: the cumulative average, as
// PyTorch's momentum=None), so afterwards running mean = the mean of the batch means and running
// var = the mean of the (unbiased) batch variances. Only the BatchNorm layers are in training
// mode meanwhile: dropout and drop-path stay off, so the statistics are those of the network
// evaluation will run. Every module's train / eval state and every momentum are restored after.
import { noGrad } from '../engine/autograd';
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { BatchNorm2d } from '../nn/batchNorm2d';
import type { Module } from '../nn/module';

export interface RecalibrationResult {
  /** Batches forwarded. */
  batches: number;
  /** BatchNorm layers recalibrated. */
  layers: number;
}

/**
 * Recomputes the running statistics of every BatchNorm2d in `model` from `batches` (the inputs
 * only; the caller owns and disposes them). `forward` runs one batch (default model.forward; a
 * supernet passes (x) => supernet.forwardPath(x, path)); its output is dropped.
 */
export function recalibrateBatchNorm(
  model: Module,
  batches: Iterable<Tensor>,
  forward: (x: Tensor) => Tensor = (x) => model.forward(x),
): RecalibrationResult {
  const modules = model.namedModules().map(([, m]) => m);
  const norms = modules.filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  const training = modules.map((m) => m.training);
  const momenta = norms.map((bn) => bn.momentum);
  let n = 0;
  try {
    for (const m of modules) m.training = m instanceof BatchNorm2d;
    for (const bn of norms) {
      bn.resetRunningStats();
      bn.momentum = null;
    }
    for (const x of batches) {
      noGrad(() =>
        tidy(() => {
          forward(x);
        }),
      );
      n++;
    }
  } finally {
    modules.forEach((m, i) => {
      m.training = training[i]!;
    });
    norms.forEach((bn, i) => {
      bn.momentum = momenta[i]!;
    });
  }
  if (n === 0 && norms.length > 0) {
    throw new Error(
      `recalibrateBatchNorm: no batches, so ${norms.length} BatchNorm layer(s) were left at their reset statistics (mean 0, var 1); pass at least one training batch`,
    );
  }
  return { batches: n, layers: norms.length };
}
