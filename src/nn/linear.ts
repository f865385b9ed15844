import { zeros } from '../engine/creation';
import type { Tensor } from '../engine/tensor';
import { linear } from './functional';
import { kaimingUniform_, normal_, uniform_ } from './init';
import { Module } from './module';

export interface LinearOptions {
  bias?: boolean;
  /** 'torch-default' (kaiming-uniform a=sqrt(5)) or 'normal-0.01' (torchvision's classifiers). */
  init?: 'torch-default' | 'normal-0.01';
}

/** y = x W^T + b, weight [out, in]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    o: LinearOptions = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', zeros([outFeatures])) : null;
    if (o.init === 'normal-0.01') {
      normal_(this.weight, 0, 0.01);
    } else {
      kaimingUniform_(this.weight, Math.sqrt(5));
      if (this.bias) uniform_(this.bias, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures));
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
