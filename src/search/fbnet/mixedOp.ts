// One searchable layer of the FBNet supernet: every candidate op b_i built with the layer's
// (C_in, C_out, stride), and the architecture logits theta (K numbers, zeros: a uniform softmax).
//
//   mask   m = softmax((theta + g) / tau),  g_i = -log(-log u_i), u_i ~ U(0, 1)
//   soft   out = sum_i m_i * b_i(x)                                 (the paper's relaxation)
//   hard   out = (onehot(i*) - m.detach() + m)[i*] * b_{i*}(x),  i* = argmax_i m_i
//
// Hard is the straight-through variant: i* is a sample of Categorical(softmax(theta)) (Gumbel
// max), only that candidate runs, the factor's value is exactly 1 and its gradient is that of
// m_{i*}, so theta still learns. A layer with one candidate has no logits and runs its op.
// Candidates are children named by op: `ops.<op>.<role>` (e.g. ops.ir_k5_e6.conv_dw.weight).
import { gumbel, ones, zeros } from '../../engine/creation';
import { tidy } from '../../engine/memory';
import type { Tensor } from '../../engine/tensor';
import { Module, Sequential } from '../../nn';
import { buildBlock } from '../../blocks/registry';
import type { SupernetLayer } from './layout';

export class MixedOp extends Module {
  /** The candidate modules, in the layer's candidate order. */
  readonly ops: Module[];
  /** Architecture logits [K], or null for a layer with one candidate. */
  readonly theta: Tensor | null;
  /** Forward calls of each candidate (instrumentation: hard mode runs one per step). */
  readonly calls: number[];
  /** The candidate the last hard forward ran (null after a soft forward). */
  lastChoice: number | null = null;

  constructor(readonly layer: SupernetLayer, e1FirstConv: 'keep' | 'drop') {
    super();
    const named = layer.candidates.map((c) => [c.op, buildBlock(c.cfg, layer.cin, layer.cout, layer.stride, { e1FirstConv })] as [string, Module]);
    this.registerModule('ops', new Sequential(named));
    this.ops = named.map(([, m]) => m);
    this.theta = layer.searchable ? this.registerParameter('theta', zeros([layer.candidates.length])) : null;
    this.calls = this.ops.map(() => 0);
  }

  get size(): number {
    return this.ops.length;
  }

  /** A Gumbel-softmax mask softmax((theta + g) / tau) [K] (draws K numbers from libtorch's generator). */
  sampleMask(tau: number): Tensor {
    if (!this.theta) return ones([1]);
    const theta = this.theta;
    return tidy(() => theta.add(gumbel([this.size], { dtype: theta.dtype, device: theta.device })).div(tau).softmax(0));
  }

  /** The soft mixture sum_i mask_i * b_i(x). */
  forward(x: Tensor, mask: Tensor): Tensor {
    return this.mix(x, mask, false);
  }

  /** The layer's output under a mask: soft (all candidates) or hard (straight-through, one candidate). */
  mix(x: Tensor, mask: Tensor, hard: boolean): Tensor {
    if (mask.shape.length !== 1 || mask.shape[0] !== this.size) {
      throw new Error(`${this.layer.key} (${this.layer.name}): mask has shape [${mask.shape}], expected [${this.size}]`);
    }
    this.lastChoice = null;
    if (this.size === 1) {
      this.calls[0]!++;
      return this.ops[0]!.forward(x);
    }
    return tidy(() => {
      if (hard) {
        const i = mask.argmax(0).item();
        this.lastChoice = i;
        this.calls[i]!++;
        const mi = mask.select(0, i);
        // 1 - m_i.detach() + m_i: value 1, gradient d m_i.
        const gate = mi.sub(mi.detach()).add(1);
        return this.ops[i]!.forward(x).mul(gate);
      }
      let out: Tensor | null = null;
      this.ops.forEach((op, i) => {
        this.calls[i]!++;
        const term = op.forward(x).mul(mask.select(0, i));
        out = out ? out.add(term) : term;
      });
      return out!;
    });
  }

  resetCalls(): void {
    this.calls.fill(0);
  }
}
