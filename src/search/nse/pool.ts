// NSE's operation pool and its subsets, as plain data (no engine). Each layer's pool is its
// candidate list in the space; the order in which unexplored ops enter is a seeded shuffle of it,
// fixed at the start. A round's subset S_r holds `subsetSize` ops per layer (fewer when the pool
// is smaller); after the round the best `keep` by score stay, the rest leave, and unexplored ops
// fill the subset up again. A layer with nothing left to explore keeps its whole subset. The
// pool is exhausted when no layer has an unexplored op.
import { formatBranches } from '../../blocks/opName';
import { Rng } from '../../random/rng';

/** Per layer, the pool's ops in the order they are explored (a seeded shuffle of the candidates). */
export function explorationOrder(pools: readonly (readonly string[])[], seed: number): string[][] {
  const rng = new Rng(seed);
  return pools.map((pool) => [...rng.permutation(pool.length)].map((i) => pool[i]!));
}

/** S_0: the first `size` ops of every layer's exploration order. */
export function initialSubsets(order: readonly (readonly string[])[], size: number): string[][] {
  return order.map((o) => o.slice(0, size));
}

/** Per layer, the ops of the order not yet in any subset. */
export function unexplored(
  order: readonly (readonly string[])[],
  explored: readonly (readonly string[])[],
): string[][] {
  return order.map((o, l) => o.filter((op) => !explored[l]!.includes(op)));
}

export interface NextSubsets {
  /** S_{r+1} per layer: the kept ops (best first), then the added ones. */
  next: string[][];
  kept: string[][];
  dropped: string[][];
  added: string[][];
}

/**
 * The next round's subsets: per layer the best by score are kept (ties: the earlier op in the
 * subset), and as many unexplored ops as fit (at most size - keep) join them, so the subset
 * stays `size` ops while the pool lasts and never drops more than it refills.
 */
export function nextSubsets(
  order: readonly (readonly string[])[],
  explored: readonly (readonly string[])[],
  current: readonly (readonly string[])[],
  scores: readonly (readonly number[])[],
  keep: number,
  size: number,
): NextSubsets {
  const fresh = unexplored(order, explored);
  const out: NextSubsets = { next: [], kept: [], dropped: [], added: [] };
  current.forEach((subset, l) => {
    const added = fresh[l]!.slice(0, Math.max(0, size - keep));
    const room = added.length ? size - added.length : subset.length;
    const ranked = subset.map((op, i) => ({ op, s: scores[l]![i]!, i })).sort((a, b) => b.s - a.s || a.i - b.i);
    const kept = ranked.slice(0, room).map((r) => r.op);
    out.kept.push(kept);
    out.dropped.push(ranked.slice(room).map((r) => r.op));
    out.added.push(added);
    out.next.push([...kept, ...added]);
  });
  return out;
}

/**
 * The architecture's value per layer from the gates' probabilities: the ops whose probability is
 * at least `threshold`, the most probable first, at most `maxBranches`; a layer where none passes
 * keeps its most probable op (a layer runs at least one branch). Returns, per layer, the chosen
 * ops (best first).
 */
export function selectBranches(
  subsets: readonly (readonly string[])[],
  probabilities: readonly (readonly number[])[],
  threshold: number,
  maxBranches: number,
): string[][] {
  return subsets.map((subset, l) => {
    const ranked = subset.map((op, i) => ({ op, p: probabilities[l]![i]!, i })).sort((a, b) => b.p - a.p || a.i - b.i);
    const passing = ranked.filter((r) => r.p >= threshold).slice(0, Math.max(1, maxBranches));
    return (passing.length ? passing : ranked.slice(0, 1)).map((r) => r.op);
  });
}

/** A layer's value: one op, or the canonical '+'-joined set. */
export const branchValue = (ops: readonly string[]): string => formatBranches(ops);

/**
 * Trims a selection until `fits` accepts it: the least probable extra branch of any layer goes
 * first, one at a time, never a layer's last. Returns the selection and the branches removed
 * (null when even one branch per layer does not fit).
 */
export function trimToFit(
  selection: readonly (readonly string[])[],
  probabilityOf: (layer: number, op: string) => number,
  fits: (selection: readonly (readonly string[])[]) => boolean,
): { selection: string[][]; removed: Array<{ layer: number; op: string }>; fits: boolean } {
  const sel = selection.map((s) => [...s]);
  const removed: Array<{ layer: number; op: string }> = [];
  while (!fits(sel)) {
    let worst: { layer: number; op: string; p: number } | null = null;
    sel.forEach((ops, l) => {
      if (ops.length < 2) return;
      for (const op of ops) {
        const p = probabilityOf(l, op);
        if (!worst || p < worst.p) worst = { layer: l, op, p };
      }
    });
    if (!worst) return { selection: sel, removed, fits: false };
    const w: { layer: number; op: string } = worst;
    sel[w.layer] = sel[w.layer]!.filter((op) => op !== w.op);
    removed.push({ layer: w.layer, op: w.op });
  }
  return { selection: sel, removed, fits: true };
}

/**
 * Rounds a run makes: round 0 explores `size` ops of each layer, each later one `size - keep`
 * more, until every layer's pool is explored; at most `limit` (null: no limit).
 */
export function plannedRounds(poolSizes: readonly number[], size: number, keep: number, limit: number | null): number {
  const step = Math.max(1, size - keep);
  const rounds = 1 + Math.max(0, ...poolSizes.map((n) => Math.ceil(Math.max(0, n - size) / step)));
  return limit === null ? rounds : Math.min(limit, rounds);
}
