// "ref-mbconv": the engine benchmark's reference network (issue: the foundation). A stem and six
// inverted-residual blocks on 3x32x32 inputs; bench/ref_mbconv_torch.py builds the same in PyTorch.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear, Module, ReLU, Sequential } from '../nn';

/** 1x1 expand, k x k depthwise, 1x1 project, residual when shapes allow. */
class RefInvertedResidual extends Module {
  readonly body: Sequential;
  readonly residual: boolean;
  constructor(cin: number, cout: number, stride: number, expansion: number) {
    super();
    const mid = cin * expansion;
    this.residual = cin === cout && stride === 1;
    this.body = this.registerModule(
      'body',
      new Sequential(
        new Conv2d(cin, mid, 1, { padding: 0 }),
        new BatchNorm2d(mid),
        ReLU(),
        new Conv2d(mid, mid, 3, { stride, groups: mid }),
        new BatchNorm2d(mid),
        ReLU(),
        new Conv2d(mid, cout, 1, { padding: 0 }),
        new BatchNorm2d(cout),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    if (!this.residual) return this.body.forward(x);
    return tidy(() => this.body.forward(x).add(x));
  }
}

export const REF_MBCONV_BLOCKS: ReadonlyArray<[number, number, number, number]> = [
  [16, 24, 2, 3],
  [24, 24, 1, 3],
  [24, 32, 2, 6],
  [32, 32, 1, 6],
  [32, 64, 2, 6],
  [64, 64, 1, 6],
];

export function refMbconv(classes = 10, inChannels = 3): Sequential {
  return new Sequential(
    new Conv2d(inChannels, 16, 3, { padding: 1 }),
    new BatchNorm2d(16),
    ReLU(),
    ...REF_MBCONV_BLOCKS.map(([i, o, s, e]) => new RefInvertedResidual(i, o, s, e)),
    new GlobalAvgPool(),
    new Linear(64, classes),
  );
}
