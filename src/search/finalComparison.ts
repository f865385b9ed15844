// The statement of a final training over repeated runs: each network (the result, each reference)
// trained K times with its own seeds, summarized by the mean test accuracy and its spread, and the
// result stated against each reference on the means, with whether the difference is larger than
// the training noise: Welch's t-test over the runs' test accuracies (two-sided, at p < 0.05). With
// one run each no test is possible, and the statement says so. Pure: the stored networks in, text
// and numbers out.
import { spreadOf, welchTTest } from '../stats/welch';
import { compareToReference } from './referenceComparison';

/** One trained network of the final training: one run (of `replica`) of the result or of a reference. */
export interface FinalTrainedNetwork {
  role: 'result' | 'reference';
  /** 'searched #3' for the result, the reference as the study names it. */
  name: string;
  /** The search's trial (the result), or null (a reference). */
  trial: number | null;
  arch: string;
  source: string | null;
  /** The checkpoint directory, relative to the study directory. */
  checkpoint: string;
  /** Which of the network's final runs this is (0-based); absent in states made before: the only one. */
  replica?: number;
  /** The training seed of this run; absent in states made before (their recipe's seed). */
  seed?: number;
  epochs: number;
  trainImages: number;
  emaDecay: number | null;
  testAcc: number | null;
  /** The trial's validation accuracy in the search (the result only). */
  searchValAcc: number | null;
  /** The run it distilled from (`final.distillFrom`); absent: trained on the labels alone. */
  distilledFrom?: { name: string; replica: number };
  trainAcc: number | null;
  flops: number | null;
  params: number | null;
  tableLatencyUs: number | null;
  measuredLatencyUs: number | null;
  measuredP25Us: number | null;
  measuredP75Us: number | null;
  measuredWith: string | null;
  /** Wall seconds of its training (this run's; a resumed one's epochs before are not counted). */
  seconds: number;
}

/** A network over its final runs: the test accuracies and their spread. */
export interface FinalNetworkSummary {
  role: FinalTrainedNetwork['role'];
  name: string;
  arch: string;
  /** The runs' seeds (null: recorded before seeds were) and test accuracies, in run order. */
  seeds: Array<number | null>;
  testAccs: number[];
  /** Mean test accuracy over the runs, null when none has one. */
  meanTestAcc: number | null;
  /** Sample standard deviation of the test accuracy (null for a single run). */
  stdTestAcc: number | null;
  minTestAcc: number | null;
  maxTestAcc: number | null;
  flops: number | null;
  params: number | null;
  tableLatencyUs: number | null;
  measuredLatencyUs: number | null;
}

/** The statistical test a comparison states. */
export interface FinalTest {
  name: "Welch's t-test";
  t: number;
  dof: number;
  /** Two-sided p of equal mean test accuracies. */
  p: number;
}

export interface FinalComparison {
  reference: string;
  /** On the table latency when both have one, else the measured latency; on the mean test accuracies. */
  text: string;
  beats: boolean;
  speedup: number | null;
  /** Difference of the mean test accuracies in points, or null. */
  accuracyPoints: number | null;
  /** The same on the measured latency. */
  measuredText: string;
  /** Runs of the result and of the reference (absent in states made before: one each). */
  runs?: { result: number; reference: number };
  /** Welch's t-test of the test accuracies, null with a single run of either. */
  test?: FinalTest | null;
  /** Whether the accuracy difference is larger than the noise (p < `NOISE_LEVEL`); null when no test is possible. */
  beyondNoise?: boolean | null;
  /** The means, the spread and the test's answer, in words (also the end of `text`). */
  noiseText?: string;
}

/** The level below which a difference counts as larger than the training noise. */
export const NOISE_LEVEL = 0.05;

/** The networks over their runs, in the order they first appear. */
export function summarizeFinalNetworks(networks: readonly FinalTrainedNetwork[]): FinalNetworkSummary[] {
  const groups = new Map<string, FinalTrainedNetwork[]>();
  for (const n of networks) {
    const key = `${n.role}\u0000${n.name}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.values()].map((runs) => {
    const sorted = [...runs].sort((a, b) => (a.replica ?? 0) - (b.replica ?? 0));
    const accs = sorted.map((r) => r.testAcc).filter((v): v is number => v !== null && Number.isFinite(v));
    const s = spreadOf(accs);
    const first = sorted[0]!;
    return {
      role: first.role,
      name: first.name,
      arch: first.arch,
      seeds: sorted.map((r) => r.seed ?? null),
      testAccs: accs,
      meanTestAcc: accs.length ? s.mean : null,
      stdTestAcc: Number.isFinite(s.std) ? s.std : null,
      minTestAcc: accs.length ? s.min : null,
      maxTestAcc: accs.length ? s.max : null,
      flops: first.flops,
      params: first.params,
      tableLatencyUs: first.tableLatencyUs,
      measuredLatencyUs: first.measuredLatencyUs,
    };
  });
}

const pct = (a: number) => `${(a * 100).toFixed(2)}%`;
const pts = (a: number) => (a * 100).toFixed(2);

/** A network's accuracy over its runs: '88.73% ± 0.26 points (88.51-89.02%, 3 seeds)' (without the count: `count` false). */
export function spreadText(s: FinalNetworkSummary, count = true): string {
  if (s.meanTestAcc === null) return 'test accuracy unknown';
  if (s.testAccs.length < 2) return `${pct(s.meanTestAcc)}${count ? ' (1 seed)' : ''}`;
  return `${pct(s.meanTestAcc)} ± ${pts(s.stdTestAcc ?? 0)} points (${pts(s.minTestAcc!)}-${pct(s.maxTestAcc!)}${count ? `, ${s.testAccs.length} seeds` : ''})`;
}

/** The means, the spread and whether the difference is larger than the noise, in words. */
function noiseStatement(
  result: FinalNetworkSummary,
  ref: FinalNetworkSummary,
): Pick<FinalComparison, 'test' | 'beyondNoise' | 'noiseText'> {
  const w = welchTTest(result.testAccs, ref.testAccs);
  const runs = `${result.testAccs.length === ref.testAccs.length ? `${result.testAccs.length} seeds each` : `${result.testAccs.length} and ${ref.testAccs.length} seeds`}`;
  if (!w) {
    const single = result.testAccs.length < 2 && ref.testAccs.length < 2;
    return {
      test: null,
      beyondNoise: null,
      noiseText: `${single ? 'one seed each' : runs}: ${single ? 'a single seed' : 'a network trained once'} cannot tell the difference from training noise`,
    };
  }
  const beyond = w.p < NOISE_LEVEL;
  const p = w.p < 0.001 ? 'p < 0.001' : `p = ${w.p.toPrecision(2)}`;
  return {
    test: { name: "Welch's t-test", t: w.t, dof: w.dof, p: w.p },
    beyondNoise: beyond,
    noiseText:
      `over ${runs}, ${spreadText(result, false)} against ${spreadText(ref, false)}: ` +
      (beyond
        ? `the difference is larger than the noise at ${p} (Welch's t-test)`
        : `the difference is within the noise at ${p} (Welch's t-test; larger below p = ${NOISE_LEVEL})`),
  };
}

/**
 * The result against every reference, on the mean test accuracies: on table latency when both have
 * it, else measured; and on measured latency. It beats a reference when faster and not less
 * accurate, or as fast and more accurate, a difference within the noise counting as none; with
 * `classes` (the data set's), two networks both at chance accuracy get no verdict.
 */
export function compareFinalNetworks(
  networks: readonly FinalTrainedNetwork[],
  o: { classes?: number | null } = {},
): FinalComparison[] {
  const summaries = summarizeFinalNetworks(networks);
  const result = summaries.find((n) => n.role === 'result');
  if (!result) return [];
  return summaries
    .filter((n) => n.role === 'reference')
    .map((ref) => {
      const repeated = result.testAccs.length > 1 || ref.testAccs.length > 1;
      const accuracyKind = repeated ? 'mean test accuracy' : 'test accuracy';
      const table = result.tableLatencyUs !== null && ref.tableLatencyUs !== null;
      const noise = noiseStatement(result, ref);
      const judged = { accuracyKind, beyondNoise: noise.beyondNoise, classes: o.classes ?? null };
      const main = compareToReference(
        {
          name: result.name,
          testAcc: result.meanTestAcc,
          latencyUs: table ? result.tableLatencyUs : result.measuredLatencyUs,
        },
        { name: ref.name, testAcc: ref.meanTestAcc, latencyUs: table ? ref.tableLatencyUs : ref.measuredLatencyUs },
        { ...judged, latencyKind: table ? 'table latency' : 'measured latency' },
      );
      const measured = compareToReference(
        { name: result.name, testAcc: result.meanTestAcc, latencyUs: result.measuredLatencyUs },
        { name: ref.name, testAcc: ref.meanTestAcc, latencyUs: ref.measuredLatencyUs },
        { ...judged, latencyKind: 'measured latency' },
      );
      // A result taught by this reference: said, since the two did not learn from the same targets.
      const taught = networks.some((n) => n.role === 'result' && n.distilledFrom?.name === ref.name);
      const distilled = taught
        ? `; ${result.name} distilled from ${ref.name}'s runs, ${ref.name} trained on the labels`
        : '';
      return {
        reference: ref.name,
        text: `${main.text}; ${noise.noiseText}${distilled}`,
        beats: main.beats,
        speedup: main.speedup,
        accuracyPoints: main.accuracyPoints,
        measuredText: measured.text,
        runs: { result: result.testAccs.length, reference: ref.testAccs.length },
        ...noise,
      };
    });
}
