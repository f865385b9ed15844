// Medians and quantiles. Two medians, because recorded figures use both: `median` interpolates (the
// mean of the two middle values when the count is even: latency tables, the DNAS benchmark), and
// `upperMedian` takes the upper of the two middle values, an element of the data (steps per second
// in the engine benchmark and the trainer's images per second). Both are NaN for no values.

/** The q-quantile (0..1) of values sorted ascending, interpolated linearly between neighbours. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** The interpolated median: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  return quantileSorted(ascending(values), 0.5);
}

/** The upper median: the middle value, or the upper of the two middle values (always one of the values). */
export function upperMedian(values: readonly number[]): number {
  return values.length ? ascending(values)[Math.floor(values.length / 2)]! : NaN;
}
