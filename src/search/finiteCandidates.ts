// Searching an evaluator that can only evaluate a finite set (a tabular benchmark's entries): a
// proposal drawn from the whole space would almost never be one of them (117 entries of fbnet-s's
// 387M architectures), so random search draws among the entries and evolution moves its mutated
// child to the nearest entry, as tabular NAS benchmarks are used (NAS-Bench-101's protocol).
// Entries already evaluated or outside the constraints are never proposed.
import type { Arch, Space } from '../space/types';
import { archIndices, formatArch } from '../space/archFormat';
import { violations } from '../cost/constraints';
import type { AskContext } from '../study/strategy';
import type { Rng } from '../random/rng';

export interface FiniteCandidates {
  /** The evaluator's entries not yet evaluated and within the constraints, in the evaluator's order. */
  open: Arch[];
  /** How many entries the evaluator lists. */
  total: number;
}

/** The open entries, or null when the evaluator is not a finite set. */
export function finiteCandidates(ctx: AskContext): FiniteCandidates | null {
  const all = ctx.evaluator.architectures?.();
  if (!all) return null;
  const open = all.filter(
    (a) =>
      !ctx.seen.has(formatArch(ctx.space, a)) &&
      (ctx.constraints.length === 0 || violations(ctx.constraints, ctx.costs.costs(a)).length === 0),
  );
  return { open, total: all.length };
}

/** One of the open entries, uniformly. */
export function drawEntry(open: readonly Arch[], rng: Rng): Arch {
  return open[rng.int(open.length)]!;
}

/** The open entry with the fewest choices differing from `arch` (ties drawn at random). */
export function nearestEntry(space: Space, arch: Arch, open: readonly Arch[], rng: Rng): Arch {
  const target = archIndices(space, arch);
  let best = Infinity;
  let near: Arch[] = [];
  for (const a of open) {
    const v = archIndices(space, a);
    let d = 0;
    for (let j = 0; j < v.length; j++) if (v[j] !== target[j]) d++;
    if (d < best) {
      best = d;
      near = [a];
    } else if (d === best) near.push(a);
  }
  return near[rng.int(near.length)]!;
}
