// NSE's supernet over a round's subset: a supernet network (src/supernet/supernetNetwork.ts) whose
// choice layers carry one learnable Bernoulli gate per op, probability p_i = sigmoid(alpha_i)
// (alpha beside the ops: stages.<i>.<j>.alpha; zeros, p = 0.5, when a round starts).
//
// A step draws every gate (branch i on with probability p_i; when none is on, one op drawn in
// proportion to p_i: a layer runs at least one branch), and the layer runs the ops that are on,
// summing their outputs (ChoiceLayer.runBranches), so only those ops are in the graph and only
// their weights are updated.
//
// alpha is learned on the validation split by REINFORCE (the score-function estimator): for the
// sampled gates m, d/d alpha_i of log P(m) = m_i - p_i, so the surrogate
//
//   (CE(m) - b) * sum_{l,i} log P(m_{l,i}) + penalty * sum_{l,i} p_{l,i} * cost_{l,i} / cost_ref
//
// has the unbiased gradient of E[CE] (b: a running mean of CE, the variance-reducing baseline)
// plus the exact gradient of the expected resource cost. Why not straight-through: an op whose
// gate is off does not run, so its output, which a straight-through gradient of its gate needs,
// is not there; REINFORCE needs only the loss of the gates that were drawn, and the validation
// pass runs without autograd through the weights. The "at least one" draw is ignored in log P
// (it changes P only when every gate is off, rare once a layer has a probable op).
import { zeros, tensor } from '../../engine/creation';
import { noGrad } from '../../engine/autograd';
import { tidy } from '../../engine/memory';
import type { Tensor } from '../../engine/tensor';
import type { Rng } from '../../random/rng';
import { ChoiceLayer } from '../../supernet/choiceLayer';
import type { SupernetLayer, SupernetLayout } from '../../supernet/layout';
import { SupernetNetwork } from '../../supernet/supernetNetwork';

export class GatedLayer extends ChoiceLayer {
  /** Gate logits [K]: p_i = sigmoid(alpha_i). */
  readonly alpha: Tensor;

  constructor(layer: SupernetLayer, e1FirstConv: 'keep' | 'drop') {
    super(layer, e1FirstConv);
    this.alpha = this.registerParameter('alpha', zeros([layer.candidates.length]));
  }
}

/** The ops whose gates are on (ascending indices): each on with probability p_i; when none is, one drawn in proportion to p. */
export function drawGates(p: readonly number[], rng: Rng): number[] {
  const on: number[] = [];
  for (let i = 0; i < p.length; i++) if (rng.next() < p[i]!) on.push(i);
  if (on.length) return on;
  const total = p.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < p.length; i++) {
    u -= p[i]!;
    if (u < 0) return [i];
  }
  return [p.length - 1];
}

const isAlpha = (name: string) => /(^|\.)alpha$/.test(name);

export class GatedSupernet extends SupernetNetwork<GatedLayer> {
  constructor(layout: SupernetLayout) {
    super(layout, (l, e1) => new GatedLayer(l, e1));
  }

  namedAlphaParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([n]) => isAlpha(n));
  }
  alphaParameters(): Tensor[] {
    return this.namedAlphaParameters().map(([, t]) => t);
  }
  /** Every trainable tensor but the gate logits: what the weight optimizer updates. */
  weightParameters(): Tensor[] {
    return this.namedParameters()
      .filter(([n]) => !isAlpha(n))
      .map(([, t]) => t);
  }

  /** Gradient recording per parameter set (a pass that updates one set skips the other's gradients). */
  setTrainable(weights: boolean, alpha: boolean): void {
    for (const p of this.weightParameters()) p.requiresGrad_(weights);
    for (const p of this.alphaParameters()) p.requiresGrad_(alpha);
  }

  /** sigmoid(alpha) of every layer, as numbers. */
  probabilities(): number[][] {
    return noGrad(() => tidy(() => this.choiceLayers.map((l) => l.alpha.sigmoid().toArray())));
  }

  /** Draws every layer's gates: per layer the ops that run (ascending indices). */
  drawPath(rng: Rng): number[][] {
    return this.probabilities().map((p) => drawGates(p, rng));
  }

  /**
   * The REINFORCE surrogate for alpha (see the top of the file): `advantage` = CE of the drawn
   * path minus the baseline; `costs[l][i]` the resource cost of op i of layer l over the reference
   * cost. A scalar whose gradient in alpha is the estimator's.
   */
  alphaLoss(
    path: readonly (readonly number[])[],
    advantage: number,
    costs: readonly (readonly number[])[],
    penalty: number,
  ): Tensor {
    return tidy(() => {
      let total: Tensor | null = null;
      this.choiceLayers.forEach((layer, l) => {
        const k = layer.size;
        const m = new Float32Array(k);
        for (const i of path[l]!) m[i] = 1;
        const mask = tensor(m, [k], { dtype: layer.alpha.dtype, device: layer.alpha.device });
        const p = layer.alpha.sigmoid();
        const logOn = p.clamp(1e-7, 1).log();
        const logOff = p.rsub(1).clamp(1e-7, 1).log();
        const logP = mask.mul(logOn).add(mask.rsub(1).mul(logOff)).sum();
        const cost = tensor(Float32Array.from(costs[l]!), [k], {
          dtype: layer.alpha.dtype,
          device: layer.alpha.device,
        });
        const term = logP.mul(advantage).add(p.mul(cost).sum().mul(penalty));
        total = total ? total.add(term) : term;
      });
      return total!;
    });
  }
}
