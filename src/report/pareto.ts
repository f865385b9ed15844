// The Pareto front of a set of points in two objectives, e.g. accuracy (maximize) against
// latency (minimize). Pure: no chart or report types.

export type Direction = 'maximize' | 'minimize';

/** A coordinate: a property name holding a number, or a function of the point. */
export type Coordinate<T> = keyof T | ((p: T) => number);

export interface ParetoOptions<T> {
  x: Coordinate<T>;
  y: Coordinate<T>;
  xDirection: Direction;
  yDirection: Direction;
}

function accessor<T>(c: Coordinate<T>): (p: T) => number {
  if (typeof c === 'function') return c;
  return (p: T) => {
    const v = p[c];
    return typeof v === 'number' ? v : NaN;
  };
}

/**
 * The non-dominated points: p is dropped when some q is at least as good in both coordinates
 * and strictly better in one. Points equal in both coordinates do not dominate each other, so
 * all copies of a front point are kept. Points with a non-finite coordinate are ignored.
 * Returned in ascending x (ties in input order); the input is not modified. O(n log n).
 */
export function paretoFront<T>(points: readonly T[], opts: ParetoOptions<T>): T[] {
  const fx = accessor(opts.x);
  const fy = accessor(opts.y);
  // Signed so that smaller is better in both coordinates.
  const sx = opts.xDirection === 'minimize' ? 1 : -1;
  const sy = opts.yDirection === 'minimize' ? 1 : -1;
  const rows: Array<{ p: T; x: number; y: number; i: number }> = [];
  points.forEach((p, i) => {
    const x = fx(p);
    const y = fy(p);
    if (Number.isFinite(x) && Number.isFinite(y)) rows.push({ p, x, y, i });
  });
  rows.sort((a, b) => sx * (a.x - b.x) || sy * (a.y - b.y) || a.i - b.i);
  const front: typeof rows = [];
  let bestY = Infinity; // best signed y seen so far
  let bestYAtX = NaN; // the signed x at which bestY was first reached
  for (const r of rows) {
    const y = sy * r.y;
    const x = sx * r.x;
    if (y < bestY) {
      bestY = y;
      bestYAtX = x;
      front.push(r);
    } else if (y === bestY && x === bestYAtX) {
      front.push(r); // an exact tie with a front point
    }
  }
  front.sort((a, b) => a.x - b.x || a.i - b.i);
  return front.map((r) => r.p);
}
