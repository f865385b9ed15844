import type { Tensor } from '../engine/tensor';
import { Optimizer, type ParamGroup, type ParamState } from './optimizer';

export interface RMSPropGroup extends ParamGroup {
  alpha: number;
  eps: number;
  momentum: number;
  centered: boolean;
  /**
   * TensorFlow's variant (timm's RMSpropTF, used by the EfficientNet and FBNetV3 recipes): the
   * square average starts at 1, eps sits inside the square root, and the learning rate is
   * applied inside the momentum buffer.
   */
  tfStyle: boolean;
}

export class RMSProp extends Optimizer<RMSPropGroup> {
  constructor(
    params: Tensor[] | Array<Partial<RMSPropGroup> & { params: Tensor[] }>,
    o: Partial<Omit<RMSPropGroup, 'params'>> = {},
  ) {
    super(params, {
      lr: o.lr ?? 0.01,
      alpha: o.alpha ?? 0.99,
      eps: o.eps ?? 1e-8,
      momentum: o.momentum ?? 0,
      centered: o.centered ?? false,
      weightDecay: o.weightDecay ?? 0,
      tfStyle: o.tfStyle ?? false,
    });
  }

  protected update(p: Tensor, grad: Tensor, g: RMSPropGroup, state: ParamState, _step: number): void {
    const d = g.weightDecay ? grad.add(p, g.weightDecay) : grad;
    const sq = this.buffer(state, 'square_avg', () => (g.tfStyle ? p.onesLike() : p.zerosLike()));
    sq.mul_(g.alpha).addcmul_(d, d, 1 - g.alpha);
    let avg: Tensor;
    if (g.centered) {
      const ga = this.buffer(state, 'grad_avg', () => p.zerosLike());
      ga.mul_(g.alpha).add_(d, 1 - g.alpha);
      const v = sq.sub(ga.mul(ga));
      avg = g.tfStyle ? v.add(g.eps).sqrt() : v.sqrt().add(g.eps);
    } else {
      avg = g.tfStyle ? sq.add(g.eps).sqrt() : sq.sqrt().add(g.eps);
    }
    if (g.momentum > 0) {
      const buf = this.buffer(state, 'momentum_buffer', () => p.zerosLike());
      if (g.tfStyle) {
        buf.mul_(g.momentum).addcdiv_(d, avg, g.lr);
        p.add_(buf, -1);
      } else {
        buf.mul_(g.momentum).addcdiv_(d, avg, 1);
        p.add_(buf, -g.lr);
      }
    } else {
      p.addcdiv_(d, avg, -g.lr);
    }
  }
}
