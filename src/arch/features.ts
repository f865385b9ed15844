// Feature vectors for accuracy predictors: one-hot for values picked from sets and op lists,
// min-max normalised numbers (to [0, 1]) for ranges. Fixed dimensions contribute nothing.
// The architecture and the recipe parts can be taken separately (FBNetV3's predictor reads the
// architecture through its encoder and the recipe beside the embedding).
import type { Arch, Dim, Space } from '../space/types';

export type FeaturePart = 'all' | 'arch' | 'recipe';

const inPart = (d: Dim, part: FeaturePart) =>
  part === 'all' || (part === 'recipe' ? d.group === 'recipe' : d.group !== 'recipe');

/** Names of the features, aligned with features(): 'layer3=ir_k5_e6', 'stage2.channels'. */
export function featureNames(space: Space, part: FeaturePart = 'all'): string[] {
  const names: string[] = [];
  for (const d of space.searchDims) {
    if (!inPart(d, part)) continue;
    if (d.encoding === 'scalar') names.push(d.key);
    else for (const v of d.values) names.push(`${d.key}=${String(v)}`);
  }
  return names;
}

export function featureLength(space: Space, part: FeaturePart = 'all'): number {
  let n = 0;
  for (const d of space.searchDims) if (inPart(d, part)) n += d.encoding === 'scalar' ? 1 : d.values.length;
  return n;
}

/** The feature vector of an architecture (values assumed valid for the space). */
export function features(space: Space, arch: Arch, part: FeaturePart = 'all'): Float32Array {
  const out = new Float32Array(featureLength(space, part));
  let o = 0;
  for (const d of space.searchDims) {
    if (!inPart(d, part)) continue;
    const v = arch[d.key]!;
    const i = d.values.indexOf(v);
    if (i < 0) throw new Error(`features: '${d.key}' = ${JSON.stringify(v)} is not a value of space '${space.name}'`);
    if (d.encoding === 'scalar') {
      const nums = d.values as readonly number[];
      const lo = nums[0]!;
      const hi = nums[nums.length - 1]!;
      out[o++] = ((v as number) - lo) / (hi - lo);
    } else {
      out[o + i] = 1;
      o += d.values.length;
    }
  }
  return out;
}
