import { zeros } from '../engine/creation';
import type { Tensor } from '../engine/tensor';
import { conv2d, type Pair } from './functional';
import { kaimingNormal_, kaimingUniform_, fans, uniform_ } from './init';
import { Module } from './module';

export interface Conv2dOptions {
  stride?: Pair;
  /** Defaults to 'same'-style kernel/2 padding for odd kernels. */
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** 'kaiming-fan-out' (torchvision's convs, the default) or 'torch-default'. */
  init?: 'kaiming-fan-out' | 'torch-default';
}

/** 2-D convolution, weight [out, in/groups, kh, kw]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    o: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv2d: channels ${inChannels} -> ${outChannels} are not divisible by groups ${this.groups}`);
    }
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? [Math.floor(kh / 2), Math.floor(kw / 2)];
    this.dilation = o.dilation ?? 1;
    this.weight = this.registerParameter('weight', zeros([outChannels, inChannels / this.groups, kh, kw]));
    this.bias = o.bias ? this.registerParameter('bias', zeros([outChannels])) : null;
    if ((o.init ?? 'kaiming-fan-out') === 'kaiming-fan-out') {
      kaimingNormal_(this.weight, 'fan_out', 'relu');
    } else {
      kaimingUniform_(this.weight, Math.sqrt(5));
      if (this.bias) {
        const b = 1 / Math.sqrt(fans(this.weight).fanIn);
        uniform_(this.bias, -b, b);
      }
    }
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
