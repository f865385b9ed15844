// Caps the points a chart draws, so a study of thousands of trials still gives a small file:
// the points that matter (Pareto front, new bests) are always kept, the rest evenly sampled.

export interface Thinned<T> {
  points: T[];
  dropped: number;
}

/** At most `max` points (or all of `keep` if that is more): `keep(p)` points plus an even, deterministic stride over the others, in input order. */
export function thinPoints<T>(points: readonly T[], max: number, keep: (p: T) => boolean = () => false): Thinned<T> {
  if (points.length <= max) return { points: [...points], dropped: 0 };
  const kept = points.filter(keep);
  const rest = points.filter((p) => !keep(p));
  const room = Math.max(0, max - kept.length);
  const chosen = new Set<T>(kept);
  if (room > 0) {
    const step = rest.length / room;
    for (let i = 0; i < room; i++) chosen.add(rest[Math.floor(i * step)]!);
  }
  const out = points.filter((p) => chosen.has(p));
  return { points: out, dropped: points.length - out.length };
}
