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

export function spaceSize(space: Space): SpaceSize {
  let arch = 1n;
  let recipe = 1n;
  let log10 = 0;
  for (const d of space.dims) {
    const k = BigInt(d.values.length);
    if (d.group === 'recipe') recipe *= k;
    else arch *= k;
    log10 += Math.log10(d.values.length);
  }
  const exact = arch * recipe;
  return { exact, count: Number(exact), log10, archExact: arch, recipeExact: recipe };
}
