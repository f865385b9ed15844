// Agreement between two rankings or two series: Pearson, Spearman (Pearson of the ranks) and
// Kendall's tau-b (concordant minus discordant pairs, corrected for ties), the rank correlations
// predictor benchmarks report (latency tables; FBNetV3's accuracy predictor, NSE's supernet ranking).

/** Ranks 1..n, ties given their average rank. */
export function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

const sameLength = (what: string, x: readonly number[], y: readonly number[]) => {
  if (x.length !== y.length) throw new Error(`${what}: ${x.length} vs ${y.length} values`);
};

export function pearson(x: readonly number[], y: readonly number[]): number {
  sameLength('pearson', x, y);
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * A correlation for people: its value, or why it has none. Over fewer than two points a rank
 * correlation is undefined (not NaN printed as a number); with every value of one side tied too.
 */
export function correlationText(value: number, n: number, digits = 3): string {
  if (Number.isFinite(value)) return value.toFixed(digits);
  return n < 2 ? `n/a (fewer than 2 points)` : `n/a (no ranking: all values tied)`;
}

/** Spearman's rank correlation (Pearson correlation of the ranks; ties averaged). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/**
 * Kendall's tau-b: (concordant - discordant) / sqrt((n0 - tx) (n0 - ty)) over the n0 = n(n-1)/2
 * pairs, where tx and ty count the pairs tied in x and in y (a pair tied in both counts in both and
 * is neither concordant nor discordant). Without ties it is tau-a. NaN when x or y is constant.
 * O(n^2) pairs: fine for the thousands of points a benchmark has.
 */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  sameLength('kendallTau', x, y);
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[j]! - x[i]!);
      const dy = Math.sign(y[j]! - y[i]!);
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx * dy > 0) concordant++;
      else if (dx * dy < 0) discordant++;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator ? (concordant - discordant) / denominator : NaN;
}
