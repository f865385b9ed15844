// One layer of a supernet: every candidate op of the layer, built with the layer's (C_in, C_out,
// stride) and the space's e = 1 reading, as children named by op: `ops.<op>.<role>` (e.g.
// ops.ir_k5_e6.conv_dw.weight), the standalone network's `<role>` under `ops.<op>`, so a child
// network's weights are a renaming (childNetwork.ts). What runs is the caller's choice, per call:
//
//   one candidate     out = b_i(x)                                   (a single path)
//   summed branches   out = sum_{i in S} b_i(x), or g_i * b_i(x)     (multi-branch layers, gated)
//   weighted mix      out = sum_i w_i * b_i(x)                       (soft)
//                     out = (1 - w_i*.detach() + w_i*) * b_i*(x),  i* = argmax_i w_i
//                                                       (hard: straight-through, value exactly 1)
//
// Only the candidates that run are in the graph, so a backward pass reaches only their weights.
// The choice is an argument, not state: a network runs a path by passing each layer its part.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Module, Sequential } from '../nn';
import { buildBlock } from '../blocks/registry';
import type { SupernetLayer } from './layout';

/** What one layer runs on a path: a candidate index, or a set of branches whose outputs are summed. */
export type LayerChoice = number | readonly number[];

export class ChoiceLayer extends Module {
  /** The candidate modules, in the layer's candidate order. */
  readonly ops: Module[];
  /** Forward calls of each candidate (instrumentation: tests and benchmarks check what ran). */
  readonly calls: number[];
  /** The candidate the last call ran alone (one candidate, one branch, or hard); null after a mix or a sum. */
  lastChoice: number | null = null;

  constructor(
    readonly layer: SupernetLayer,
    e1FirstConv: 'keep' | 'drop',
  ) {
    super();
    const named = layer.candidates.map(
      (c) => [c.op, buildBlock(c.cfg, layer.cin, layer.cout, layer.stride, { e1FirstConv })] as [string, Module],
    );
    this.registerModule('ops', new Sequential(named));
    this.ops = named.map(([, m]) => m);
    this.calls = this.ops.map(() => 0);
  }

  /** Number of candidates K. */
  get size(): number {
    return this.ops.length;
  }

  /** The output of candidate i alone. */
  runCandidate(x: Tensor, i: number): Tensor {
    this.checkIndex(i);
    this.lastChoice = i;
    this.calls[i]!++;
    return this.ops[i]!.forward(x);
  }

  /**
   * The sum of the outputs of the branches `indices` (distinct, at least one), in the order
   * given. `gates` [K], when given, multiplies branch i's output by gates[i] (a straight-through
   * Bernoulli gate has value 1 and carries the gradient to its probability); other entries are
   * unused.
   */
  runBranches(x: Tensor, indices: readonly number[], gates?: Tensor): Tensor {
    if (indices.length === 0)
      throw new Error(`${this.where()}: the branch set is empty; a layer runs at least one branch`);
    indices.forEach((i, n) => {
      this.checkIndex(i);
      if (indices.indexOf(i) !== n)
        throw new Error(`${this.where()}: branch ${i} appears twice in [${indices.join(', ')}]`);
    });
    if (gates) this.checkWeights(gates, 'gates');
    this.lastChoice = indices.length === 1 ? indices[0]! : null;
    return tidy(() => {
      let out: Tensor | null = null;
      for (const i of indices) {
        this.calls[i]!++;
        const y = this.ops[i]!.forward(x);
        const term = gates ? y.mul(gates.select(0, i)) : y;
        out = out ? out.add(term) : term;
      }
      return out!;
    });
  }

  /**
   * The layer's output under weights [K]: soft (every candidate, weighted) or hard (straight-
   * through: only the argmax candidate runs, its factor has value 1 and the gradient of its
   * weight). A layer with one candidate runs it unweighted.
   */
  runWeighted(x: Tensor, weights: Tensor, hard = false): Tensor {
    this.checkWeights(weights, 'weights');
    this.lastChoice = null;
    if (this.size === 1) {
      this.calls[0]!++;
      return this.ops[0]!.forward(x);
    }
    return tidy(() => {
      if (hard) {
        const i = weights.argmax(0).item();
        this.lastChoice = i;
        this.calls[i]!++;
        const wi = weights.select(0, i);
        // 1 - w_i.detach() + w_i: value 1, gradient d w_i.
        const gate = wi.sub(wi.detach()).add(1);
        return this.ops[i]!.forward(x).mul(gate);
      }
      let out: Tensor | null = null;
      this.ops.forEach((op, i) => {
        this.calls[i]!++;
        const term = op.forward(x).mul(weights.select(0, i));
        out = out ? out.add(term) : term;
      });
      return out!;
    });
  }

  /** Runs this layer's part of a path: a candidate index or a branch set. */
  run(x: Tensor, choice: LayerChoice): Tensor {
    return typeof choice === 'number' ? this.runCandidate(x, choice) : this.runBranches(x, choice);
  }

  /** The soft mix under `weights`; without weights only a one-candidate layer knows what to run. */
  forward(x: Tensor, weights?: Tensor): Tensor {
    if (weights) return this.runWeighted(x, weights);
    if (this.size === 1) return this.runCandidate(x, 0);
    throw new Error(
      `${this.where()} has ${this.size} candidates: say which run (runCandidate, runBranches, runWeighted, or a supernet's forwardPath)`,
    );
  }

  resetCalls(): void {
    this.calls.fill(0);
  }

  private where(): string {
    return `${this.layer.key} (${this.layer.name})`;
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new Error(
        `${this.where()}: candidate index ${i} is out of range 0..${this.size - 1} (${this.layer.candidates.map((c) => c.op).join(', ')})`,
      );
    }
  }

  private checkWeights(w: Tensor, what: string): void {
    if (w.shape.length !== 1 || w.shape[0] !== this.size) {
      throw new Error(`${this.where()}: ${what} have shape [${w.shape}], expected [${this.size}] (one per candidate)`);
    }
  }
}
