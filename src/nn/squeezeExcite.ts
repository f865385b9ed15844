import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Activation, type ActivationName } from './activations';
import { Conv2d } from './conv2d';
import { adaptiveAvgPool2d } from './functional';
import { Module } from './module';

export interface SqueezeExciteOptions {
  /** Squeezed width; default channels / 4 rounded to a multiple of 8 (MobileNetV3). */
  reducedChannels?: number;
  act?: ActivationName;
  gate?: ActivationName;
}

/** Squeeze-and-excitation: global pool, 1x1 reduce, act, 1x1 expand, gate, rescale. */
export class SqueezeExcite extends Module {
  readonly convReduce: Conv2d;
  readonly act: Activation;
  readonly convExpand: Conv2d;
  readonly gate: Activation;

  constructor(
    readonly channels: number,
    o: SqueezeExciteOptions = {},
  ) {
    super();
    const reduced = o.reducedChannels ?? makeDivisible(channels / 4, 8);
    this.convReduce = this.registerModule('conv_reduce', new Conv2d(channels, reduced, 1, { bias: true, padding: 0 }));
    this.act = this.registerModule('act', new Activation(o.act ?? 'relu'));
    this.convExpand = this.registerModule('conv_expand', new Conv2d(reduced, channels, 1, { bias: true, padding: 0 }));
    this.gate = this.registerModule('gate', new Activation(o.gate ?? 'hsigmoid'));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const s = this.gate.forward(
        this.convExpand.forward(this.act.forward(this.convReduce.forward(adaptiveAvgPool2d(x, 1)))),
      );
      return x.mul(s);
    });
  }
}

/** Rounds v to a multiple of divisor, never below 90% of v (the MobileNet rule). */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  const r = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  return r < 0.9 * v ? r + divisor : r;
}
