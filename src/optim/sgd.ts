import type { Tensor } from '../engine/tensor';
import { Optimizer, type ParamGroup, type ParamState } from './optimizer';

export interface SGDGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/** SGD with momentum, Nesterov and (coupled) weight decay: PyTorch's update rule. */
export class SGD extends Optimizer<SGDGroup> {
  constructor(
    params: Tensor[] | Array<Partial<SGDGroup> & { params: Tensor[] }>,
    o: Partial<Omit<SGDGroup, 'params'>> = {},
  ) {
    super(params, {
      lr: o.lr ?? 0.1,
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      nesterov: o.nesterov ?? false,
      weightDecay: o.weightDecay ?? 0,
    });
    if (this.groups.some((g) => g.nesterov && (g.momentum <= 0 || g.dampening !== 0))) {
      throw new Error('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(p: Tensor, grad: Tensor, g: SGDGroup, state: ParamState, _step: number): void {
    let d = g.weightDecay ? grad.add(p, g.weightDecay) : grad;
    if (g.momentum) {
      const fresh = !state.momentum_buffer;
      const buf = this.buffer(state, 'momentum_buffer', () => d.clone());
      if (!fresh) buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}
