import { noGrad } from '../engine/autograd';
import { ones, zeros } from '../engine/creation';
import type { Tensor } from '../engine/tensor';
import { batchNorm } from './functional';
import { Module } from './module';

export interface BatchNormOptions {
  eps?: number;
  /**
   * Weight of each training batch's statistics in the running ones (default 0.1); null: the
   * running statistics are the equal-weight average of every batch since the last reset
   * (PyTorch's momentum=None), what BatchNorm recalibration uses.
   */
  momentum?: number | null;
  /** Zero-initialise gamma (used on the last BN of residual blocks). */
  zeroInit?: boolean;
}

/** Batch normalisation over N, H, W with running statistics (names as PyTorch's). */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  /** See BatchNormOptions.momentum; settable, so a recalibration can switch to the cumulative average and back. */
  momentum: number | null;

  constructor(
    readonly numFeatures: number,
    o: BatchNormOptions = {},
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.weight = this.registerParameter('weight', o.zeroInit ? zeros([numFeatures]) : ones([numFeatures]));
    this.bias = this.registerParameter('bias', zeros([numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64' }));
  }

  forward(x: Tensor): Tensor {
    if (this.training) noGrad(() => this.numBatchesTracked.add_(1));
    return batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      momentum: this.momentum ?? this.cumulativeMomentum(),
      eps: this.eps,
    });
  }

  /**
   * The k-th training batch since a reset gets weight 1/k, so the running statistics stay the
   * plain mean over those batches (as PyTorch computes its momentum=None). Unused in eval mode.
   */
  private cumulativeMomentum(): number {
    return this.training ? 1 / this.numBatchesTracked.item() : 0;
  }

  /** Running mean 0, variance 1, no batches tracked: the statistics of a fresh layer (PyTorch's reset_running_stats). */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean.zero_();
      this.runningVar.fill_(1);
      this.numBatchesTracked.zero_();
    });
  }
}
