// The small blocks: conv + BN + act (stem, head), skip, and FBNetV3's MBPool head.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Activation, BatchNorm2d, Conv2d, GlobalAvgPool, Module } from '../nn';
import { adaptiveAvgPool2d } from '../nn/functional';
import type { ConvConfig, MbPoolConfig } from './opName';

/** k x k conv (no bias, padding k/2) + BN + act. */
export class ConvBnAct extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly act: Activation;
  constructor(
    readonly cfg: ConvConfig,
    inChannels: number,
    outChannels: number,
    stride: number,
  ) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, cfg.kernel, { stride }));
    this.bn = this.registerModule('bn', new BatchNorm2d(outChannels));
    this.act = this.registerModule('act', new Activation(cfg.act));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.act.forward(this.bn.forward(this.conv.forward(x))));
  }
}

/** Identity when shapes match; otherwise 1x1 conv (stride s) + BN + ReLU. */
export class Skip extends Module {
  readonly conv: Conv2d | null = null;
  readonly bn: BatchNorm2d | null = null;
  readonly act: Activation | null = null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride: number,
  ) {
    super();
    if (stride !== 1 || inChannels !== outChannels) {
      this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, 1, { stride, padding: 0 }));
      this.bn = this.registerModule('bn', new BatchNorm2d(outChannels));
      this.act = this.registerModule('act', new Activation('relu'));
    }
  }
  get isIdentity(): boolean {
    return this.conv === null;
  }
  forward(x: Tensor): Tensor {
    // A new handle even for the identity, so callers may dispose input and output independently.
    if (!this.conv) return x.add(0);
    return tidy(() => this.act!.forward(this.bn!.forward(this.conv!.forward(x))));
  }
}

/** FBNetV3's head: 1x1 conv C_in -> C_in * e + BN + act, global average pool, 1x1 conv (bias) + act. */
export class MbPool extends Module {
  readonly convPw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly act1: Activation;
  readonly pool: GlobalAvgPool;
  readonly convPwl: Conv2d;
  readonly act2: Activation;
  constructor(
    readonly cfg: MbPoolConfig,
    inChannels: number,
    outChannels: number,
  ) {
    super();
    const mid = inChannels * cfg.expansion;
    this.convPw = this.registerModule('conv_pw', new Conv2d(inChannels, mid, 1, { padding: 0 }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(mid));
    this.act1 = this.registerModule('act1', new Activation(cfg.act));
    this.pool = this.registerModule('pool', new GlobalAvgPool());
    this.convPwl = this.registerModule('conv_pwl', new Conv2d(mid, outChannels, 1, { padding: 0, bias: true }));
    this.act2 = this.registerModule('act2', new Activation(cfg.act));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.act1.forward(this.bn1.forward(this.convPw.forward(x)));
      return this.act2.forward(this.convPwl.forward(adaptiveAvgPool2d(h, 1)));
    });
  }
}
