// Seeded, stratified train/validation split: every class keeps its share on both sides.
import { Rng } from '../random/rng';
import type { ImageSet } from './imageSet';

export interface Split {
  train: Int32Array;
  val: Int32Array;
}

/** Splits set indices so that `valFraction` of each class goes to validation. */
export function stratifiedSplit(set: ImageSet, valFraction: number, seed: number, limit?: number): Split {
  if (!(valFraction >= 0 && valFraction < 1))
    throw new Error(`validation fraction must be in [0, 1), got ${valFraction}`);
  const rng = new Rng(seed);
  const byClass: number[][] = Array.from({ length: set.classes }, () => []);
  for (let i = 0; i < set.count; i++) byClass[set.labels[i]!]!.push(i);
  // A limit keeps the first `limit` examples of a seeded stratified order (for quick runs).
  const keepFraction = limit && limit < set.count ? limit / set.count : 1;
  const train: number[] = [];
  const val: number[] = [];
  for (const idx of byClass) {
    const arr = rng.shuffle(Int32Array.from(idx));
    const n = Math.round(arr.length * keepFraction);
    const nVal = Math.round(n * valFraction);
    for (let k = 0; k < n; k++) (k < nVal ? val : train).push(arr[k]!);
  }
  return { train: rng.shuffle(Int32Array.from(train)), val: rng.shuffle(Int32Array.from(val)) };
}

/** Every index of a set in order (e.g. the whole test split). */
export function allIndices(set: ImageSet): Int32Array {
  const out = new Int32Array(set.count);
  for (let i = 0; i < set.count; i++) out[i] = i;
  return out;
}
