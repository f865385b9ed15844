// ABS's angle of a path (Hu et al. 2020): the angle between a path's weight vector at
// initialisation and now, V(a) being the concatenation of the conv and linear weights the path
// runs (stem, head, classifier and the chosen op of every layer; BatchNorm and biases excluded;
// an identity op has no weights and adds nothing). A larger angle predicts a better path.
//
// The angle needs only three sums per weight tensor, <W0, Wt>, |W0|^2 and |Wt|^2: a path's
// cosine is (sum of its tensors' dots) / sqrt(sum |W0|^2 * sum |Wt|^2). `angleStats` reads them
// once per (layer, op) from the engine; `pathAngle` is then plain arithmetic, so scoring every op
// by a thousand paths costs nothing next to the supernet's training.
import { keep, tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import type { SupernetNetwork } from './supernetNetwork';

/** The weights the angle reads: conv and linear weights (rank >= 2), by parameter name. */
export function angleWeights(supernet: SupernetNetwork): Array<[string, Tensor]> {
  return supernet.namedParameters().filter(([, p]) => p.rank >= 2);
}

/** Copies of the angle's weights now (kept: the caller disposes them with disposeSnapshot). */
export function snapshotWeights(supernet: SupernetNetwork): Map<string, Tensor> {
  return new Map(angleWeights(supernet).map(([n, p]) => [n, keep(tidy(() => p.detach().clone()))]));
}

export function disposeSnapshot(s: Map<string, Tensor>): void {
  for (const t of s.values()) t.dispose();
  s.clear();
}

/** <W0, Wt>, |W0|^2 and |Wt|^2 summed over some weight tensors. */
export interface DotSums {
  dot: number;
  initial: number;
  current: number;
}

export interface AngleStats {
  /** Stem, head and classifier: on every path. */
  fixed: DotSums;
  /** [layer][candidate]: the candidate op's own weights (all zero for an identity). */
  perOp: DotSums[][];
}

const zero = (): DotSums => ({ dot: 0, initial: 0, current: 0 });
const LAYER_OP = /^(stages\.\d+\.\d+)\.ops\.([^.]+)\./;

/** The dot sums of every op and of the fixed part, between `initial` (a snapshot) and the weights now. */
export function angleStats(supernet: SupernetNetwork, initial: ReadonlyMap<string, Tensor>): AngleStats {
  const layout = supernet.layout;
  const layerOf = new Map(layout.layers.map((l, n) => [l.name, n]));
  const perOp = layout.layers.map((l) => l.candidates.map(zero));
  const fixed = zero();
  for (const [name, w] of angleWeights(supernet)) {
    const w0 = initial.get(name);
    if (!w0)
      throw new Error(
        `angleStats: the initial weights have no '${name}'; snapshot them from this supernet (snapshotWeights)`,
      );
    if (w0.shape.join('x') !== w.shape.join('x'))
      throw new Error(`angleStats: '${name}' is [${w0.shape}] initially and [${w.shape}] now`);
    const [dot, initialSq, currentSq] = tidy(() => {
      const a = w0.flatten();
      const b = w.detach().flatten();
      return [a.mul(b).sum().item(), a.mul(a).sum().item(), b.mul(b).sum().item()];
    });
    const m = LAYER_OP.exec(name);
    let into = fixed;
    if (m) {
      const n = layerOf.get(m[1]!);
      const i = n === undefined ? -1 : layout.layers[n]!.candidates.findIndex((c) => c.op === m[2]);
      if (n === undefined || i < 0) throw new Error(`angleStats: '${name}' is in no candidate of the layout`);
      into = perOp[n]![i]!;
    }
    into.dot += dot;
    into.initial += initialSq;
    into.current += currentSq;
  }
  return { fixed, perOp };
}

/** The angle (radians, 0..pi) of the path `indices` (one candidate per layer). */
export function pathAngle(stats: AngleStats, indices: readonly number[]): number {
  if (indices.length !== stats.perOp.length)
    throw new Error(`pathAngle: the path has ${indices.length} choices for ${stats.perOp.length} layers`);
  let { dot, initial, current } = stats.fixed;
  indices.forEach((i, l) => {
    const s = stats.perOp[l]![i];
    if (!s) throw new Error(`pathAngle: layer ${l} has no candidate ${i}`);
    dot += s.dot;
    initial += s.initial;
    current += s.current;
  });
  if (!(initial > 0 && current > 0)) return 0;
  const cos = dot / Math.sqrt(initial * current);
  return Math.acos(Math.max(-1, Math.min(1, cos)));
}
