// The scale of a quantitative axis from the values it shows: log when they span more than 10x
// (and are positive), a padded domain when all values are equal (Vega would otherwise draw a
// zero-width domain with six-decimal tick labels), otherwise linear without forcing zero.

export interface AxisScale {
  type: 'linear' | 'log';
  zero: boolean;
  nice: boolean;
  domain?: [number, number];
}

export function axisScale(values: readonly number[], opts: { allowLog?: boolean; zero?: boolean } = {}): AxisScale {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return { type: 'linear', zero: opts.zero ?? false, nice: true };
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return { type: 'linear', zero: false, nice: false, domain: [min - pad, max + pad] };
  }
  if (opts.allowLog && min > 0 && max / min > 10) return { type: 'log', zero: false, nice: false };
  return { type: 'linear', zero: opts.zero ?? false, nice: true };
}

/** [min, max] of the finite values ([NaN, NaN] when none), without spreading them into arguments. */
export function extent(values: Iterable<number | null | undefined>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : [NaN, NaN];
}

/** An axis of whole numbers (trial numbers, epochs): integer ticks, no '2.5'. */
export const INTEGER_AXIS = { tickMinStep: 1, format: 'd' } as const;
