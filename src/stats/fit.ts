// How well predictions fit measurements: least-squares lines and the mean absolute percentage error.

/** Least-squares line y = slope * x + intercept (slope 1 when x is constant). */
export function linearFit(x: readonly number[], y: readonly number[]): { slope: number; intercept: number } {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const slope = sxx ? sxy / sxx : 1;
  return { slope, intercept: my - slope * mx };
}

/** Mean absolute percentage error of predictions against measurements, in percent. */
export function mape(predicted: readonly number[], measured: readonly number[]): number {
  if (predicted.length !== measured.length || !measured.length)
    throw new Error(`mape: ${predicted.length} predictions vs ${measured.length} measurements`);
  return (
    (100 * predicted.reduce((s, p, i) => s + Math.abs(p - measured[i]!) / Math.abs(measured[i]!), 0)) / measured.length
  );
}
