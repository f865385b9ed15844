// A multi-branch path of a supernet as a standalone network: per layer a set of candidates whose
// outputs are summed (a LayerChoice: an index or an index list), built as the architecture whose
// layer value is the set (`ir_k3_e3+ir_k5_e1`, a multi-branch layer; one op when the set has
// one), carrying the supernet's weights. The names line up by construction:
//
//   one branch    supernet stages.<i>.<j>.ops.<op>.<role>  ->  network stages.<i>.<j>.<role>
//   several       supernet stages.<i>.<j>.ops.<op>.<role>  ->  network stages.<i>.<j>.ops.<op>.<role>
//
// (a multi-branch block names its branches ops.<op>, as a choice layer names its candidates).
// childNetwork.ts does the one-candidate-per-layer case; this one takes branch sets.
import type { Tensor } from '../engine/tensor';
import { formatBranches } from '../blocks/opName';
import type { Network } from '../builder/buildNetwork';
import { childWithWeights } from './childNetwork';
import { defaultArch } from '../space/archFormat';
import type { Arch } from '../space/types';
import type { LayerChoice } from './choiceLayer';
import type { SupernetLayout } from './layout';
import type { SupernetNetwork } from './supernetNetwork';

const LAYER_PREFIX = /^(stages\.\d+\.\d+)\./;

function branchSets(layout: SupernetLayout, path: readonly LayerChoice[]): string[][] {
  if (path.length !== layout.layers.length)
    throw new Error(
      `space '${layout.space.name}' has ${layout.layers.length} layers; the path has ${path.length} choices`,
    );
  return layout.layers.map((l, n) => {
    const c = path[n]!;
    const idx = typeof c === 'number' ? [c] : [...c];
    if (!idx.length) throw new Error(`${l.key}: an empty branch set; a layer runs at least one branch`);
    return idx.map((i) => {
      const op = l.candidates[i]?.op;
      if (op === undefined)
        throw new Error(`${l.key}: candidate index ${i} is out of range 0..${l.candidates.length - 1}`);
      return op;
    });
  });
}

/** The architecture of a branch-set path (held dimensions at their first value, as the layout holds them). */
export function archOfBranchPath(layout: SupernetLayout, path: readonly LayerChoice[]): Arch {
  const arch = defaultArch(layout.space);
  branchSets(layout, path).forEach((ops, n) => {
    arch[layout.layers[n]!.key] = formatBranches(ops);
  });
  return arch;
}

/** The state dict of the branch-set path's network by its names: the supernet's own tensors, not copies. */
export function branchChildStateDict(supernet: SupernetNetwork, path: readonly LayerChoice[]): Map<string, Tensor> {
  const layout = supernet.layout;
  const sets = new Map(branchSets(layout, path).map((ops, n) => [layout.layers[n]!.name, ops]));
  const out = new Map<string, Tensor>();
  for (const [name, t] of supernet.stateDict()) {
    const layer = LAYER_PREFIX.exec(name)?.[1];
    const ops = layer === undefined ? undefined : sets.get(layer);
    if (ops === undefined) {
      out.set(name, t);
      continue;
    }
    for (const op of ops) {
      const prefix = `${layer}.ops.${op}.`;
      if (!name.startsWith(prefix)) continue;
      out.set(ops.length === 1 ? `${layer}.${name.slice(prefix.length)}` : name, t);
    }
  }
  return out;
}

/**
 * A standalone network of the branch-set path with copies of the supernet's weights and
 * BatchNorm statistics, on the supernet's device and dtype, in its train / eval mode.
 */
export function extractBranchChildNetwork(supernet: SupernetNetwork, path: readonly LayerChoice[]): Network {
  return childWithWeights(supernet, archOfBranchPath(supernet.layout, path), branchChildStateDict(supernet, path));
}
