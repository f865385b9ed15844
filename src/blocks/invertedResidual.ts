// The inverted residual of fbnet.md section 1, children named by role as in timm.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Activation, BatchNorm2d, ChannelShuffle, Conv2d, DropPath, Module, SqueezeExcite } from '../nn';
import { seReducedChannels, type IrConfig } from './opName';

export interface IrOptions {
  /** 'drop' leaves out the first 1x1 conv when expansion is 1. */
  e1FirstConv: 'keep' | 'drop';
  /** Stochastic depth on the residual branch (0 = none). */
  dropPath?: number;
}

/**
 * 1x1 conv (groups g) + BN + act; channel shuffle if g > 1; k x k depthwise (stride s, padding
 * k/2) + BN + act; [squeeze-excite, hard-sigmoid gate]; 1x1 conv (groups g) + BN; residual add
 * when s == 1 and C_in == C_out.
 */
export class InvertedResidual extends Module {
  readonly convPw: Conv2d | null = null;
  readonly bn1: BatchNorm2d | null = null;
  readonly act1: Activation | null = null;
  readonly shuffle: ChannelShuffle | null = null;
  readonly convDw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly act2: Activation;
  readonly se: SqueezeExcite | null = null;
  readonly convPwl: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly dropPath: DropPath | null = null;
  readonly hasResidual: boolean;
  readonly midChannels: number;

  constructor(
    readonly cfg: IrConfig,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride: number,
    o: IrOptions,
  ) {
    super();
    const g = cfg.groups;
    const mid = inChannels * cfg.expansion;
    this.midChannels = mid;
    if (!(cfg.expansion === 1 && o.e1FirstConv === 'drop')) {
      this.convPw = this.registerModule('conv_pw', new Conv2d(inChannels, mid, 1, { groups: g, padding: 0 }));
      this.bn1 = this.registerModule('bn1', new BatchNorm2d(mid));
      this.act1 = this.registerModule('act1', new Activation(cfg.act));
      if (g > 1) this.shuffle = this.registerModule('shuffle', new ChannelShuffle(g));
    }
    this.convDw = this.registerModule('conv_dw', new Conv2d(mid, mid, cfg.kernel, { stride, groups: mid }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(mid));
    this.act2 = this.registerModule('act2', new Activation(cfg.act));
    if (cfg.se)
      this.se = this.registerModule(
        'se',
        new SqueezeExcite(mid, { reducedChannels: seReducedChannels(mid), act: 'relu', gate: 'hsigmoid' }),
      );
    this.convPwl = this.registerModule('conv_pwl', new Conv2d(mid, outChannels, 1, { groups: g, padding: 0 }));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(outChannels));
    this.hasResidual = stride === 1 && inChannels === outChannels;
    if (this.hasResidual && (o.dropPath ?? 0) > 0)
      this.dropPath = this.registerModule('drop_path', new DropPath(o.dropPath!));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = x;
      if (this.convPw) {
        h = this.act1!.forward(this.bn1!.forward(this.convPw.forward(h)));
        if (this.shuffle) h = this.shuffle.forward(h);
      }
      h = this.act2.forward(this.bn2.forward(this.convDw.forward(h)));
      if (this.se) h = this.se.forward(h);
      h = this.bn3.forward(this.convPwl.forward(h));
      if (!this.hasResidual) return h;
      if (this.dropPath) h = this.dropPath.forward(h);
      return h.add(x);
    });
  }
}
