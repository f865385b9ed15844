// The number of architectures of a space: exact (bigint), as a number, and as log10.
import type { Space } from '../space/types';

export interface SpaceSize {
  exact: bigint;
  /** Rounded to a double (Infinity beyond 1.8e308). */
  count: number;
  log10: number;
  /** The same split into architecture and recipe parts. */
  archExact: bigint;
  recipeExact: bigint;
}

/** Values a dimension can take: its values, or for a multi-branch layer every set of 1..branches of them. */
function choices(d: Space['dims'][number]): bigint {
  const n = BigInt(d.values.length);
  if (!d.branches) return n;
  let total = 0n;
  let binom = 1n; // C(n, k)
  for (let k = 1n; k <= BigInt(Math.min(d.branches, d.values.length)); k++) {
    binom = (binom * (n - k + 1n)) / k;
    total += binom;
  }
  return total;
}

export function spaceSize(space: Space): SpaceSize {
  let arch = 1n;
  let recipe = 1n;
  let log10 = 0;
  for (const d of space.dims) {
    const k = choices(d);
    if (d.group === 'recipe') recipe *= k;
    else arch *= k;
    log10 += Math.log10(Number(k));
  }
  const exact = arch * recipe;
  return { exact, count: Number(exact), log10, archExact: arch, recipeExact: recipe };
}
