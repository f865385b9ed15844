import { noGrad } from '../engine/autograd';
import { ones, zeros } from '../engine/creation';
import type { Tensor } from '../engine/tensor';
import { batchNorm } from './functional';
import { Module } from './module';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
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
  readonly momentum: number;

  constructor(readonly numFeatures: number, o: BatchNormOptions = {}) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    this.weight = this.registerParameter('weight', o.zeroInit ? zeros([numFeatures]) : ones([numFeatures]));
    this.bias = this.registerParameter('bias', zeros([numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64' }));
  }

  forward(x: Tensor): Tensor {
    if (this.training) noGrad(() => this.numBatchesTracked.add_(1));
    return batchNorm(x, this.runningMean, this.runningVar, {
      weight: this.weight, bias: this.bias, training: this.training, momentum: this.momentum, eps: this.eps,
    });
  }
}
