// Which dimensions of a space are its layers. A layer-wise space names one dimension per block
// of its fixed macro-architecture, `layer1..layerN` in forward order (resolve.ts), each listing
// that layer's candidate ops; a stage-wise space has none (its choices are per stage). The
// supernet's layout, the cost model's additivity test and anything else that reads "the layers
// of a space" ask here, so they cannot disagree about a key such as 'layer0' or 'layers'.
import type { Dim, Space } from './types';

const LAYER_KEY = /^layer[1-9][0-9]*$/;

/** The layer dimensions of a layer-wise space in forward order, fixed ones included ([] for a stage-wise space). */
export function layerDims(space: Space): Dim[] {
  if (space.style !== 'layerwise') return [];
  return space.dims.filter((d) => LAYER_KEY.test(d.key));
}
