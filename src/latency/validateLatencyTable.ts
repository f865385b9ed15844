// Checking a latency table against whole networks: time n random architectures end to end on
// the table's target (same protocol) and compare with the table's predictions.
import { formatArch, parseArch } from '../space/archFormat';
import { sampleSobol, sampleUniformN } from '../arch/sample';
import { Rng } from '../random/rng';
import { decode } from '../space/decode';
import type { Arch, Space } from '../space/types';
import type { LatencyTable } from './latencyTable';
import { checkTableFor, predictLatency } from './latencyTable';
import { mape, median, spearman } from '../stats';
import { measureInRounds } from './timing';
import type { LatencyTarget } from './target';

export interface ValidateOptions {
  /** The target to time on; it must match the table's (runtime, version, threads). */
  target: LatencyTarget;
  n?: number;
  seed?: number;
  /** Default: the table's protocol. */
  warmup?: number;
  repeats?: number;
  rounds?: number;
  onProgress?: (done: number, total: number, detail: string) => void;
}

export interface ValidationRow {
  arch: string;
  measuredUs: number;
  /** The table's prediction (overheadUs included). */
  predictedUs: number;
  /** The plain sum of the entries (without overheadUs). */
  sumUs: number;
  /** Too few uninterrupted runs: the measurement includes other processes' load. */
  contended?: boolean;
}

export interface ValidationResult {
  space: string;
  n: number;
  seed: number;
  /** Spearman rank correlation of predicted and measured latencies. */
  spearman: number;
  /** Mean absolute percentage error of the predictions (overheadUs included), percent. */
  mape: number;
  /** The same without overheadUs: what the per-op sum alone gets. */
  mapeSumOnly: number;
  /** Mean of (measured - predicted) / measured, percent: the sign says which way the model misses. */
  meanErrorPct: number;
  overheadUs: number;
  rows: ValidationRow[];
  /** Runs kept, and runs discarded because another process interrupted them (re-run). */
  timedRuns: number;
  discardedRuns: number;
  /** Networks with too few uninterrupted runs (their times include other load). */
  contended: number;
  /** The machine's speed now against the build's, from the table's calibration networks; null for older tables. */
  level: LevelCheck | null;
  /** Differences from the table's machine that make timings incomparable, and signs of noise. */
  warnings: string[];
}

/**
 * The level check: the table's calibration networks timed again in the same rounds as the
 * validation networks. A machine whose speed moves as a whole (this VM's runtimes run at one of
 * two levels for seconds to minutes at a time, docs/latency.md) shows it here, apart from the
 * table's model error.
 */
export interface LevelCheck {
  /** Median over the calibration networks of (time now / time at the build). */
  ratio: number;
  networks: number;
  /** MAPE of the predictions against the measured times divided by `ratio`: the error at the build's level. */
  mapeAtBuildLevel: number;
}

/** A level ratio beyond 1 +- this is reported: the machine ran at another speed than during the build. */
export const LEVEL_TOLERANCE = 0.1;

export const DEFAULT_VALIDATE_N = 30;

/**
 * The networks a validation times: n uniform architectures of the space; for a table whose keys
 * were sampled (spaces with ranges), n architectures drawn (seeded, without replacement) from
 * the sample the keys came from, since a fresh architecture would almost surely need an untimed
 * key. The check is then of the additivity of the model, not of the table's coverage.
 */
export function validationArchs(space: Space, table: LatencyTable, n: number, seed: number): Arch[] {
  const c = table.coverage;
  if (c.method !== 'sampled' || !c.sample) return sampleUniformN(space, n, seed);
  if (n > c.sample)
    throw new Error(
      `the table's keys come from ${c.sample} sampled architectures; validate at most that many (\`n\` ${c.sample}), or rebuild with a larger \`sample\``,
    );
  const pool = sampleSobol(space, c.sample, { seed: c.seed ?? 0 });
  const rng = new Rng(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

export async function validateLatencyTable(
  space: Space,
  table: LatencyTable,
  o: ValidateOptions,
): Promise<ValidationResult> {
  checkTableFor(table, space, { threads: o.target.info.threads });
  const t = table.target;
  const ti = o.target.info;
  if (ti.runtime !== t.runtime || ti.version !== t.version || ti.name !== t.name) {
    throw new Error(
      `the latency table was measured on ${t.name} (${t.runtime} ${t.version}), but this target is ${ti.name} (${ti.runtime} ${ti.version}); rebuild the table here`,
    );
  }
  const warnings: string[] = [];
  if (ti.machine.cpu !== t.machine.cpu || ti.machine.cores !== t.machine.cores) {
    warnings.push(
      `the table was measured on '${t.machine.cpu}' (${t.machine.cores} cores), this machine is '${ti.machine.cpu}' (${ti.machine.cores} cores)`,
    );
  }
  const n = o.n ?? DEFAULT_VALIDATE_N;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(n) || n < 2) throw new Error(`validation needs at least 2 architectures, got ${n}`);
  const protocol = {
    warmup: o.warmup ?? table.protocol.warmup,
    repeats: o.repeats ?? table.protocol.repeats,
    rounds: o.rounds ?? table.protocol.rounds,
  };
  const archs = validationArchs(space, table, n, seed);
  const predicted = archs.map((arch) => predictLatency(table, space, arch)); // fails fast on a missing key
  const descOf = (arch: Arch) => decode(space, arch, table.input ? { input: table.input } : {});
  const descs = archs.map(descOf);
  const reference = table.overhead.networks ?? [];
  const refDescs = reference.map((r, i) => {
    try {
      return descOf(parseArch(space, r.arch));
    } catch (e) {
      throw new Error(
        `the latency table's overhead.networks[${i}].arch '${r.arch}' is not an architecture of space '${space.name}': ` +
          `${(e as Error).message}; rebuild the table (tsnas lut build)`,
        { cause: e },
      );
    }
  });
  const all = await measureInRounds(
    [...descs, ...refDescs],
    (desc, m) => o.target.measure({ kind: 'network', desc }, desc.input, m),
    protocol,
    (done, total, _d, t) => o.onProgress?.(done, total, `${t.medianUs.toFixed(0)} us`),
  );
  const timings = all.slice(0, descs.length);
  const rows: ValidationRow[] = archs.map((arch, i) => {
    const predictedUs = predicted[i]!;
    return {
      arch: formatArch(space, arch) || space.name,
      measuredUs: timings[i]!.medianUs,
      predictedUs,
      sumUs: predictedUs - table.overheadUs,
      ...(timings[i]!.contended ? { contended: true } : {}),
    };
  });
  const measured = rows.map((r) => r.measuredUs);
  const timedRuns = timings.reduce((a, t) => a + t.runs, 0);
  const discardedRuns = timings.reduce((a, t) => a + (t.discarded ?? 0), 0);
  const contended = timings.filter((t) => t.contended).length;
  if (contended)
    warnings.push(
      `${contended} network(s) got too few uninterrupted runs; their times include other processes' load: re-run when the machine is quieter`,
    );
  let level: LevelCheck | null = null;
  if (reference.length > 0) {
    const ratio = median(reference.map((r, i) => all[descs.length + i]!.medianUs / r.measuredUs));
    level = {
      ratio,
      networks: reference.length,
      mapeAtBuildLevel: mape(
        predicted,
        measured.map((m) => m / ratio),
      ),
    };
    if (Math.abs(ratio - 1) > LEVEL_TOLERANCE)
      warnings.push(
        `the table's ${reference.length} calibration networks run ${ratio.toFixed(2)}x as long now as when the table was built: ` +
          `this machine is at another speed than during the build, and most of the error is that (MAPE at the build's ` +
          `speed ${level.mapeAtBuildLevel.toFixed(1)}%); validate again later, or rebuild the table when this speed is the usual one`,
      );
  }
  return {
    space: space.name,
    n,
    seed,
    spearman: spearman(predicted, measured),
    mape: mape(predicted, measured),
    mapeSumOnly: mape(
      rows.map((r) => r.sumUs),
      measured,
    ),
    meanErrorPct: (100 * rows.reduce((s, r) => s + (r.measuredUs - r.predictedUs) / r.measuredUs, 0)) / n,
    overheadUs: table.overheadUs,
    rows,
    timedRuns,
    discardedRuns,
    contended,
    level,
    warnings,
  };
}
