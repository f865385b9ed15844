// FBNet's stochastic supernet over a layer-wise space: a supernet network (the fixed stem, head,
// pool and classifier of the standalone network, same role names: stem, stages.<i>.<j>, head,
// pool, dropout, classifier; src/supernet/supernetNetwork.ts) whose choice layers are MixedOps,
// each holding every candidate and its logits theta.
//
// Each forward draws fresh Gumbel noise per layer (libtorch's generator: manualSeed makes it
// repeatable), runs the layers under the masks m_l (soft: the weighted sum of all candidates;
// hard: the straight-through sample, one candidate per layer), and computes the expected cost
//
//   LAT = sum_l sum_i m_{l,i} * cost_{l,i} + fixed
//
// from the same masks, so LAT is differentiable in theta. In hard mode LAT uses the relaxed
// masks m (the expectation over the relaxed sample, lower variance than the one-hot cost).
// Weights and logits are separate parameter sets for separate optimizers: weightParameters()
// and architectureParameters().
import { tensor, full } from '../../engine/creation';
import { noGrad } from '../../engine/autograd';
import { keep, tidy } from '../../engine/memory';
import type { Tensor } from '../../engine/tensor';
import type { Space } from '../../space/types';
import { expectedCost, type CandidateCosts } from '../../supernet/candidateCosts';
import { argmax, supernetLayout } from '../../supernet/layout';
import { SupernetNetwork } from '../../supernet/supernetNetwork';
import { checkCandidateCosts } from './loss';
import { MixedOp } from './mixedOp';
import { FBNET_TEMPERATURE } from './temperature';

export interface SupernetOptions {
  /** Per-candidate costs (latency in us, or FLOPs), checked against the layout. */
  costs: CandidateCosts;
  /** Input CxHxW (default: the space's). */
  input?: readonly [number, number, number];
  /** Classes (default: the space's). */
  classes?: number;
  /** Straight-through hard sampling (one candidate per layer per step) instead of the soft sum. */
  hard?: boolean;
  /** Initial temperature (default 5.0); the search loop sets `tau` per epoch. */
  tau?: number;
}

export interface SupernetOutput {
  /** [N, classes] */
  logits: Tensor;
  /** Expected cost LAT, a scalar in the costs' unit, differentiable in theta. */
  cost: Tensor;
  /** The Gumbel-softmax mask of every layer ([K_l]; [1] for a fixed layer). */
  masks: Tensor[];
}

export class Supernet extends SupernetNetwork<MixedOp> {
  readonly costs: CandidateCosts;
  /** Per-layer cost rows as tensors, made once per device and dtype (not every forward step). */
  private readonly costRowCache: Map<string, Tensor[]>;
  /** One per layer of the layout, in forward order. */
  readonly mixedOps: MixedOp[];
  hard: boolean;
  tau: number;

  constructor(space: Space, o: SupernetOptions) {
    const layout = supernetLayout(space, o.input, o.classes);
    checkCandidateCosts(o.costs, layout);
    // The standalone network's structure and child names, with a mixed op in every stage layer.
    super(layout, (layer, e1FirstConv) => new MixedOp(layer, e1FirstConv));
    this.mixedOps = this.choiceLayers;
    this.costRowCache = new Map();
    this.costs = o.costs;
    this.hard = o.hard ?? false;
    this.tau = o.tau ?? FBNET_TEMPERATURE.tau0;
  }

  /** Logits, expected cost and masks of one stochastic forward pass. */
  forwardWithCost(x: Tensor): SupernetOutput {
    return tidy(() => {
      const masks: Tensor[] = [];
      let cost = null as Tensor | null; // assigned in the callback, which narrowing does not follow
      let constant = this.costs.fixed;
      const logits = this.runWithStages(x, (input) => {
        let h = input;
        for (const [l, op] of this.mixedOps.entries()) {
          const m = op.sampleMask(this.tau);
          masks.push(m);
          h = op.mix(h, m, this.hard);
          const row = this.costs.perLayer[l]!;
          if (op.theta) {
            const term = m.mul(this.costRow(l, m)).sum();
            cost = cost ? cost.add(term) : term;
          } else {
            constant += row[0]!;
          }
        }
        return h;
      });
      const total = cost ? cost.add(constant) : full([], constant);
      return { logits, cost: total, masks };
    });
  }

  private costRow(l: number, like: Tensor): Tensor {
    const key = `${like.device}/${like.dtype}`;
    let rows = this.costRowCache.get(key);
    if (!rows) {
      rows = this.costs.perLayer.map((r) => keep(tensor(r, [r.length], { dtype: like.dtype, device: like.device })));
      this.costRowCache.set(key, rows);
    }
    return rows[l]!;
  }

  override dispose(): void {
    for (const rows of this.costRowCache.values()) for (const t of rows) t.dispose();
    this.costRowCache.clear();
    super.dispose();
  }

  /** Logits of one stochastic forward pass (the cost is computed and dropped). */
  override forward(x: Tensor): Tensor {
    return tidy(() => this.forwardWithCost(x).logits);
  }

  /** The logits theta of every searchable layer, by name ('stages.1.0.theta'). */
  namedArchitectureParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([n]) => isTheta(n));
  }
  architectureParameters(): Tensor[] {
    return this.namedArchitectureParameters().map(([, t]) => t);
  }
  /** Every trainable tensor except the logits: what the weight optimizer updates. */
  namedWeightParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([n]) => !isTheta(n));
  }
  weightParameters(): Tensor[] {
    return this.namedWeightParameters().map(([, t]) => t);
  }

  /** Switches gradient recording per parameter set (a pass that updates one set skips the other's gradients). */
  setTrainable(weights: boolean, architecture: boolean): void {
    for (const p of this.weightParameters()) p.requiresGrad_(weights);
    for (const p of this.architectureParameters()) p.requiresGrad_(architecture);
  }

  /** softmax(theta_l) of every layer, as numbers ([1] for a fixed layer). */
  distributions(): number[][] {
    return noGrad(() => tidy(() => this.mixedOps.map((op) => (op.theta ? op.theta.softmax(0).toArray() : [1]))));
  }

  /** The per-layer argmax of theta (the first index on ties). */
  argmaxIndices(): number[] {
    return this.distributions().map(argmax);
  }

  /** The expected cost under softmax(theta), without noise, in the costs' unit. */
  expectedCost(): number {
    return expectedCost(this.costs, this.distributions());
  }
}

const isTheta = (name: string): boolean => name === 'theta' || name.endsWith('.theta');
