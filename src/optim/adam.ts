import type { Tensor } from '../engine/tensor';
import { Optimizer, type ParamGroup, type ParamState } from './optimizer';

export interface AdamGroup extends ParamGroup {
  beta1: number;
  beta2: number;
  eps: number;
  /** AdamW: weight decay applied to the weights directly instead of through the gradient. */
  decoupled: boolean;
}

export type AdamOptions = Partial<Omit<AdamGroup, 'params' | 'decoupled'>>;

/** Adam with bias correction (PyTorch's rule); weight decay is added to the gradient. */
export class Adam extends Optimizer<AdamGroup> {
  constructor(
    params: Tensor[] | Array<Partial<AdamGroup> & { params: Tensor[] }>,
    o: AdamOptions = {},
    decoupled = false,
  ) {
    super(params, {
      lr: o.lr ?? 1e-3,
      beta1: o.beta1 ?? 0.9,
      beta2: o.beta2 ?? 0.999,
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? (decoupled ? 1e-2 : 0),
      decoupled,
    });
  }

  protected update(p: Tensor, grad: Tensor, g: AdamGroup, state: ParamState, step: number): void {
    let d = grad;
    if (g.weightDecay) {
      if (g.decoupled) p.mul_(1 - g.lr * g.weightDecay);
      else d = grad.add(p, g.weightDecay);
    }
    const m = this.buffer(state, 'exp_avg', () => p.zerosLike());
    const v = this.buffer(state, 'exp_avg_sq', () => p.zerosLike());
    m.mul_(g.beta1).add_(d, 1 - g.beta1);
    v.mul_(g.beta2).addcmul_(d, d, 1 - g.beta2);
    const bc1 = 1 - g.beta1 ** step;
    const bc2 = 1 - g.beta2 ** step;
    const denom = v.sqrt().div(Math.sqrt(bc2)).add(g.eps);
    p.addcdiv_(m, denom, -g.lr / bc1);
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  constructor(params: Tensor[] | Array<Partial<AdamGroup> & { params: Tensor[] }>, o: AdamOptions = {}) {
    super(params, o, true);
  }
}
