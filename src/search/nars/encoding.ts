// The predictor's inputs for architecture-recipe pairs: the study space's feature encoding
// (src/arch/features.ts: one-hot for sets and op lists, min-max to [0, 1] for ranges), split into
// the architecture part (the encoder's input) and the recipe part (beside the embedding, into
// the accuracy head). Fixed dimensions contribute nothing; dimensions a mode holds fixed are
// constant columns. No engine here: plain float32 matrices.
import { featureLength, features } from '../../arch/features';
import type { Arch, Space } from '../../space/types';

/** A feature matrix: `rows` rows of `cols` float32 values, row-major. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export interface PairFeatures {
  xa: Matrix;
  xr: Matrix;
}

function matrix(space: Space, archs: readonly Arch[], part: 'arch' | 'recipe'): Matrix {
  const cols = featureLength(space, part);
  const data = new Float32Array(archs.length * cols);
  if (cols) archs.forEach((a, r) => data.set(features(space, a, part), r * cols));
  return { data, rows: archs.length, cols };
}

export function pairFeatures(space: Space, archs: readonly Arch[]): PairFeatures {
  return { xa: matrix(space, archs, 'arch'), xr: matrix(space, archs, 'recipe') };
}
