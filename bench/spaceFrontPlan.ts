// The pure parts of the space-front benchmark (bench/spaceFront.ts): which architectures to train
// (random ones stratified over table latency), which of them form the accuracy-latency front, and
// the answer to "is there a network that beats the baseline's mean at 0.5x, 0.6x, 0.7x its
// latency, and by how much?". No store, no engine: the test (test/bench/spaceFrontPlan.test.ts)
// runs them on made-up latencies and accuracies.
import { paretoFront } from '../src/report/pareto';
import type { Rng } from '../src/random/rng';
import { mean, spreadOf, welchTTest, type Spread, type WelchTest } from '../src/stats/welch';

/** A latency interval [lo, hi) in microseconds (the last bin of a range includes hi). */
export interface LatencyBin {
  lo: number;
  hi: number;
  /** 'range': between the smallest network and the baseline; 'above': past the baseline. */
  kind: 'range' | 'above';
}

/**
 * `n` equal bins from `lo` (the smallest network's latency) to `hi` (the baseline's), then
 * `nAbove` equal bins from `hi` to `aboveTo` (the few above the baseline).
 */
export function latencyBins(lo: number, hi: number, n: number, nAbove = 0, aboveTo = hi): LatencyBin[] {
  if (!(hi > lo) || !(n >= 1)) throw new Error(`latencyBins: need hi > lo and n >= 1 (got ${lo}, ${hi}, ${n})`);
  if (nAbove > 0 && !(aboveTo > hi)) throw new Error(`latencyBins: bins above ${hi} need an upper end above it`);
  const w = (hi - lo) / n;
  const bins: LatencyBin[] = Array.from({ length: n }, (_, i) => ({
    lo: lo + i * w,
    hi: i === n - 1 ? hi : lo + (i + 1) * w,
    kind: 'range' as const,
  }));
  const wa = (aboveTo - hi) / Math.max(1, nAbove);
  for (let i = 0; i < nAbove; i++)
    bins.push({ lo: hi + i * wa, hi: i === nAbove - 1 ? aboveTo : hi + (i + 1) * wa, kind: 'above' });
  return bins;
}

/** Whether a latency falls in a bin (the range's last bin holds its upper end too). */
export function inBin(b: LatencyBin, us: number): boolean {
  return us >= b.lo && (us < b.hi || (us === b.hi && b.kind === 'range'));
}

/**
 * The order bins are filled in, round after round: each round visits every bin once, nearest
 * first to `focus` (the latency the question is about: 0.6x the baseline's), so that a run
 * stopped early has its points spread over the whole range and densest where the answer is.
 */
export function binOrder(bins: readonly LatencyBin[], focus: number): number[] {
  const centre = (b: LatencyBin) => (b.lo + b.hi) / 2;
  return bins
    .map((_, i) => i)
    .sort((a, b) => Math.abs(centre(bins[a]!) - focus) - Math.abs(centre(bins[b]!) - focus) || a - b);
}

/** One planned architecture: its choice indices, the bin it was drawn for, its latency. */
export interface PlannedArch {
  indices: number[];
  bin: number;
  latencyUs: number;
}

export interface StratifyOptions {
  /** The number of values of each searched choice. */
  sizes: readonly number[];
  /** The index of the cheapest value of each choice (skip), or -1 where none; it lets draws reach the fast bins. */
  cheapest: readonly number[];
  /** Table latency of an architecture's choice indices. */
  latency: (indices: readonly number[]) => number;
  bins: readonly LatencyBin[];
  /** Architectures per bin. */
  perBin: number;
  /** The order bins are visited in within a round (binOrder). */
  order: readonly number[];
  rng: Rng;
  /** Draws per architecture before the bin is given up (default 20000). */
  maxTries?: number;
}

/**
 * `perBin` distinct architectures per latency bin, in rounds (each round one per bin, in `order`).
 * A draw picks a share p of U(0, 1), then each choice is its cheapest value with probability p and
 * otherwise uniform over the others: uniform draws alone cluster at mid latency and almost never
 * reach the bins near the all-skip network. A draw is kept when its latency falls in the bin
 * wanted and it is new. A bin no draw reaches within `maxTries` is skipped for that round.
 */
export function stratifiedPlan(o: StratifyOptions): PlannedArch[] {
  const maxTries = o.maxTries ?? 20000;
  const seen = new Set<string>();
  const plan: PlannedArch[] = [];
  const draw = (): number[] => {
    const p = o.rng.next();
    return o.sizes.map((n, j) => {
      const c = o.cheapest[j]!;
      if (c >= 0 && o.rng.next() < p) return c;
      if (c < 0) return o.rng.int(n);
      const k = o.rng.int(n - 1);
      return k >= c ? k + 1 : k;
    });
  };
  for (let round = 0; round < o.perBin; round++)
    for (const b of o.order) {
      const bin = o.bins[b]!;
      for (let t = 0; t < maxTries; t++) {
        const idx = draw();
        const key = idx.join('-');
        if (seen.has(key)) continue;
        const lat = o.latency(idx);
        if (!inBin(bin, lat)) continue;
        seen.add(key);
        plan.push({ indices: idx, bin: b, latencyUs: lat });
        break;
      }
    }
  return plan;
}

/** A network over its trainings: latency and every run's test accuracy (0..1). */
export interface NetworkRuns {
  arch: string;
  latencyUs: number;
  accs: number[];
}

/**
 * The front: the networks no other beats in both table latency (lower) and test accuracy
 * (higher), taken on each network's first run (`by: 'first'`, what decides which ones are trained
 * again) or on its mean over its runs (`by: 'mean'`). In ascending latency.
 */
export function frontOf(networks: readonly NetworkRuns[], by: 'first' | 'mean' = 'first'): NetworkRuns[] {
  return paretoFront(
    networks.filter((n) => n.accs.length > 0),
    {
      x: (n) => n.latencyUs,
      y: (n) => (by === 'first' ? n.accs[0]! : mean(n.accs)),
      xDirection: 'minimize',
      yDirection: 'maximize',
    },
  );
}

/** The answer at one share of the baseline's latency. */
export interface BudgetAnswer {
  /** The share of the baseline's table latency (0.5, 0.6, 0.7). */
  fraction: number;
  budgetUs: number;
  /** Networks trained within the budget (any number of runs). */
  within: number;
  /** The best within the budget by mean test accuracy among those with at least `minRuns` runs; null when none. */
  best: (NetworkRuns & { spread: Spread }) | null;
  /** Its mean less the baseline's, in points (percentage points of test accuracy). */
  points: number | null;
  /** Welch's t-test of its runs against the baseline's (null with fewer than 2 runs on a side). */
  test: WelchTest | null;
  /** Beats the baseline's mean (points > 0), and whether by more than the noise (p < 0.05). */
  beats: boolean | null;
  beyondNoise: boolean | null;
  /**
   * The best's margin over its later runs alone (runs 1.. : the seeds that did not put it on the
   * front), in points against the baseline's mean. Its first run chose it among many, so that run
   * is the luckier draw; these are not. Null without later runs.
   */
  heldOutPoints: number | null;
  /** The best within the budget by a single first run, whatever its run count (what a partial bench can say). */
  bestFirstRun: { arch: string; latencyUs: number; acc: number; points: number } | null;
}

/**
 * For each share f of the baseline's latency: the network of at most f x its latency with the
 * highest mean test accuracy over its runs (those trained at least `minRuns` times), its margin over
 * the baseline's mean in points, and Welch's test of the two groups of runs.
 */
export function budgetAnswers(
  networks: readonly NetworkRuns[],
  baseline: NetworkRuns,
  fractions: readonly number[] = [0.5, 0.6, 0.7],
  minRuns = 3,
): BudgetAnswer[] {
  const base = mean(baseline.accs);
  return fractions.map((fraction) => {
    const budgetUs = fraction * baseline.latencyUs;
    const within = networks.filter((n) => n.latencyUs <= budgetUs && n.accs.length > 0);
    const repeated = within.filter((n) => n.accs.length >= minRuns);
    const best = repeated.reduce<NetworkRuns | null>((b, n) => (!b || mean(n.accs) > mean(b.accs) ? n : b), null);
    const first = within.reduce<NetworkRuns | null>((b, n) => (!b || n.accs[0]! > b.accs[0]! ? n : b), null);
    const points = best ? (mean(best.accs) - base) * 100 : null;
    const test = best ? welchTTest(best.accs, baseline.accs) : null;
    return {
      fraction,
      budgetUs,
      within: within.length,
      best: best ? { ...best, spread: spreadOf(best.accs) } : null,
      points,
      test,
      beats: points === null ? null : points > 0,
      beyondNoise: test === null || points === null ? null : points > 0 && test.p < 0.05,
      heldOutPoints: best && best.accs.length > 1 ? (mean(best.accs.slice(1)) - base) * 100 : null,
      bestFirstRun: first
        ? { arch: first.arch, latencyUs: first.latencyUs, acc: first.accs[0]!, points: (first.accs[0]! - base) * 100 }
        : null,
    };
  });
}

/** The answer in a sentence. */
export function answerText(a: BudgetAnswer, baselineName = 'fbnet-s-baseline'): string {
  const at = `at ${a.fraction}x ${baselineName}'s latency (${(a.budgetUs / 1000).toFixed(2)} ms)`;
  if (!a.best) {
    const f = a.bestFirstRun;
    return (
      `${at}: ${a.within} network${a.within === 1 ? '' : 's'} trained, none yet at every seed` +
      (f
        ? `; the best single run is ${f.points >= 0 ? '+' : ''}${f.points.toFixed(2)} points against the baseline's mean (${f.arch})`
        : '')
    );
  }
  const s = a.best.spread;
  const p = a.points!;
  const verdict = a.beats
    ? `beats the baseline's mean by ${p.toFixed(2)} points`
    : `misses the baseline's mean by ${(-p).toFixed(2)} points`;
  const noise = a.test
    ? a.test.p < 0.05
      ? `larger than the noise at p = ${a.test.p.toPrecision(2)} (Welch's t-test)`
      : `within the noise at p = ${a.test.p.toPrecision(2)} (Welch's t-test)`
    : 'no test (fewer than 2 runs)';
  const heldOut =
    a.heldOutPoints === null
      ? ''
      : `; over the ${s.n - 1} seed${s.n === 2 ? '' : 's'} that did not select it, ${a.heldOutPoints >= 0 ? '+' : ''}${a.heldOutPoints.toFixed(2)} points`;
  return `${at}: the best of ${a.within} (${a.best.arch}, ${(a.best.latencyUs / 1000).toFixed(2)} ms, ${(s.mean * 100).toFixed(2)}% over ${s.n} seeds) ${verdict}; ${noise}${heldOut}`;
}
