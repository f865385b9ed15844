// One searchable layer of the FBNet supernet: a choice layer (every candidate op b_i built with
// the layer's (C_in, C_out, stride), children `ops.<op>.<role>`) with FBNet's Gumbel gate, the
// architecture logits theta (K numbers, zeros: a uniform softmax):
//
//   mask   m = softmax((theta + g) / tau),  g_i = -log(-log u_i), u_i ~ U(0, 1)
//   soft   out = sum_i m_i * b_i(x)                                 (the paper's relaxation)
//   hard   out = (onehot(i*) - m.detach() + m)[i*] * b_{i*}(x),  i* = argmax_i m_i
//
// Hard is the straight-through variant: i* is a sample of Categorical(softmax(theta)) (Gumbel
// max), only that candidate runs, the factor's value is exactly 1 and its gradient is that of
// m_{i*}, so theta still learns. A layer with one candidate has no logits and runs its op.
// The logits are `theta` beside `ops` (e.g. stages.1.0.theta).
import { gumbel, ones, zeros } from '../../engine/creation';
import { tidy } from '../../engine/memory';
import type { Tensor } from '../../engine/tensor';
import { ChoiceLayer } from '../../supernet/choiceLayer';
import type { SupernetLayer } from '../../supernet/layout';

export class MixedOp extends ChoiceLayer {
  /** Architecture logits [K], or null for a layer with one candidate. */
  readonly theta: Tensor | null;

  constructor(layer: SupernetLayer, e1FirstConv: 'keep' | 'drop') {
    super(layer, e1FirstConv);
    this.theta = layer.searchable ? this.registerParameter('theta', zeros([layer.candidates.length])) : null;
  }

  /** A Gumbel-softmax mask softmax((theta + g) / tau) [K] (draws K numbers from libtorch's generator). */
  sampleMask(tau: number): Tensor {
    if (!this.theta) return ones([1]);
    const theta = this.theta;
    return tidy(() =>
      theta
        .add(gumbel([this.size], { dtype: theta.dtype, device: theta.device }))
        .div(tau)
        .softmax(0),
    );
  }

  /** The soft mixture sum_i mask_i * b_i(x). */
  override forward(x: Tensor, mask: Tensor): Tensor {
    return this.runWeighted(x, mask);
  }

  /** The layer's output under a mask: soft (all candidates) or hard (straight-through, one candidate). */
  mix(x: Tensor, mask: Tensor, hard: boolean): Tensor {
    return this.runWeighted(x, mask, hard);
  }
}
