// A single path of a supernet as a standalone network: buildNetwork of the path's architecture,
// carrying the supernet's weights. The names line up by construction: a choice layer keeps
// candidate <op> under `ops.<op>`, where the network keeps its block, so
//
//   supernet  stages.<i>.<j>.ops.<op>.<role>   ->   network  stages.<i>.<j>.<role>
//
// and stem, head and classifier (parameters and BatchNorm buffers) keep their names. Whatever
// else a layer holds (other candidates, an architecture's logits or gates) stays behind. In eval
// mode the network computes exactly what the supernet's forwardPath computes on that path.
import type { Tensor } from '../engine/tensor';
import { buildNetwork, type Network } from '../builder/buildNetwork';
import { archOfIndices } from './layout';
import type { Arch } from '../space/types';
import type { SupernetNetwork } from './supernetNetwork';

const LAYER_PREFIX = /^(stages\.\d+\.\d+)\./;

/**
 * The state dict of the child network on `indices` (one candidate per layer), by the child's
 * names: the supernet's own tensors, not copies.
 */
export function childStateDict(supernet: SupernetNetwork, indices: readonly number[]): Map<string, Tensor> {
  const layout = supernet.layout;
  archOfIndices(layout, indices); // checks the count and every index, with the layer's name
  const chosen = new Map(layout.layers.map((l, n) => [l.name, `${l.name}.ops.${l.candidates[indices[n]!]!.op}.`]));
  const out = new Map<string, Tensor>();
  for (const [name, t] of supernet.stateDict()) {
    const layer = LAYER_PREFIX.exec(name)?.[1];
    const prefix = layer === undefined ? undefined : chosen.get(layer);
    if (prefix === undefined) out.set(name, t);
    else if (name.startsWith(prefix)) out.set(`${layer}.${name.slice(prefix.length)}`, t);
  }
  return out;
}

/**
 * A standalone network of the path's architecture with copies of the supernet's weights and
 * BatchNorm statistics, on the supernet's device and dtype, in its train / eval mode. Building
 * it draws its initial weights from libtorch's generator before they are overwritten.
 */
export function extractChildNetwork(supernet: SupernetNetwork, indices: readonly number[]): Network {
  return childWithWeights(supernet, archOfIndices(supernet.layout, indices), childStateDict(supernet, indices));
}

/**
 * The network of `arch` built at the supernet's input and classes, with the given weights and
 * BatchNorm statistics (taken from the supernet), on its device and dtype, in its train / eval mode.
 */
export function childWithWeights(supernet: SupernetNetwork, arch: Arch, state: Map<string, Tensor>): Network {
  const layout = supernet.layout;
  const net = buildNetwork(layout.space, arch, { input: layout.input, classes: layout.classes });
  try {
    const like = supernet.parameters()[0];
    if (like && (like.device !== net.parameters()[0]?.device || like.dtype !== net.parameters()[0]?.dtype)) {
      net.to({ device: like.device, dtype: like.dtype });
    }
    net.loadStateDict(state);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net.train(supernet.training);
}
