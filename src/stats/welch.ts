// Means, spreads and Welch's t-test: whether two groups of repeated measurements (e.g. a network's
// test accuracy over K training seeds against another's) differ by more than their noise. Welch's
// test does not assume equal variances; its two-sided p comes from Student's t distribution,
// whose CDF is the regularized incomplete beta function (Numerical Recipes, 6.1 and 6.4:
// Lanczos' log-gamma and Lentz's continued fraction).

/** The arithmetic mean (NaN for none). */
export function mean(values: readonly number[]): number {
  if (!values.length) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** The sample standard deviation (n - 1 in the denominator; NaN for fewer than 2 values). */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) * (v - m);
  return Math.sqrt(s / (values.length - 1));
}

/** Mean, sample standard deviation, extremes and count of a group. */
export interface Spread {
  n: number;
  mean: number;
  /** NaN for a single value. */
  std: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  return {
    n: values.length,
    mean: mean(values),
    std: sampleStd(values),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
  };
}

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for x in [0, 1] and a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1) || !(a > 0) || !(b > 0)) return NaN;
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t distribution with `dof` degrees of freedom (dof > 0, not necessarily whole). */
export function studentTCdf(t: number, dof: number): number {
  if (Number.isNaN(t) || !(dof > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(dof / (dof + t * t), dof / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

export interface WelchTest {
  /** mean(a) - mean(b). */
  difference: number;
  t: number;
  /** The Welch-Satterthwaite degrees of freedom. */
  dof: number;
  /** Two-sided p: the chance of a |t| this large when the means are equal. */
  p: number;
}

/**
 * Welch's unequal-variances t-test of mean(a) = mean(b); null when a group has fewer than 2
 * values (no variance to compare against). Two groups without any spread give p = 1 when their
 * means are equal, else p = 0.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchTest | null {
  if (a.length < 2 || b.length < 2) return null;
  const va = sampleStd(a) ** 2 / a.length;
  const vb = sampleStd(b) ** 2 / b.length;
  const difference = mean(a) - mean(b);
  const se2 = va + vb;
  if (se2 === 0)
    return {
      difference,
      t: difference === 0 ? 0 : Math.sign(difference) * Infinity,
      dof: a.length + b.length - 2,
      p: difference === 0 ? 1 : 0,
    };
  const t = difference / Math.sqrt(se2);
  const dof = (se2 * se2) / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  const p = regularizedIncompleteBeta(dof / (dof + t * t), dof / 2, 0.5);
  return { difference, t, dof, p: Math.min(1, Math.max(0, p)) };
}
