// Building a latency table: time every op a space needs on a target, once per distinct key, and,
// in the same interleaved rounds, a few whole networks to fit the network-level overhead that the
// per-op sums miss (overheadUs; see docs/latency.md).
import { formatArch } from '../space/archFormat';
import { sampleUniformN } from '../arch/sample';
import { decode } from '../space/decode';
import type { NetDesc, Space } from '../space/types';
import type { LatencyEntry, LatencyTable } from './latencyTable';
import { MODEL_TEXT, TABLE_FORMAT, TABLE_FORMAT_VERSION, predictLatency } from './latencyTable';
import { requiredOps, searchesResolution } from './requiredOps';
import { linearFit } from '../stats';
import { opTimingOf, opTimingText } from './opTiming';
import { isEngineTarget } from './latencyTargets';
import { measureInRounds } from './timing';
import type { LatencyTarget } from './target';
import { FieldError } from '../io/fieldError';

export interface BuildProgress {
  /** Ops and calibration networks are timed together, in rounds. */
  phase: 'timing';
  done: number;
  total: number;
  /** What was just timed (a key or an architecture) and its median. */
  detail: string;
}

export interface BuildLatencyTableOptions {
  target: LatencyTarget;
  /** Input CxHxW (default: the space's; not allowed when the space searches resolution). */
  input?: readonly [number, number, number];
  /** Untimed runs before timing each op or network (default 10). */
  warmup?: number;
  /** Timed runs per op or network, reduced to the median (default 100). */
  repeats?: number;
  /** Interleaved rounds the repeats are split into (default 5; see measureInRounds). */
  rounds?: number;
  /** Architectures sampled to find keys in spaces with ranges (default 256). */
  sample?: number;
  seed?: number;
  /** Whole networks timed to fit overheadUs (default 10; 0: overheadUs = 0, not fitted). */
  calibrate?: number;
  calibrationSeed?: number;
  onProgress?: (p: BuildProgress) => void;
}

export const DEFAULT_WARMUP = 10;
export const DEFAULT_REPEATS = 100;
export const DEFAULT_ROUNDS = 5;
export const PREEMPTED_TEXT =
  'a timed run during which the process was involuntarily descheduled (getrusage involuntary context switches) is discarded and re-run; see noise';
export const DEFAULT_CALIBRATE = 10;
/** Far from the validation seeds people use (0, 1, ...): the calibration set is not the test set. */
export const DEFAULT_CALIBRATION_SEED = 7919;

export async function buildLatencyTable(space: Space, o: BuildLatencyTableOptions): Promise<LatencyTable> {
  if (o.input && searchesResolution(space))
    throw new FieldError(
      'input',
      o.input,
      `space '${space.name}' searches the input resolution; build its table without an \`input\``,
    );
  const input: [number, number, number] | null = searchesResolution(space)
    ? null
    : o.input
      ? [o.input[0], o.input[1], o.input[2]]
      : [...space.input];
  const protocol = {
    warmup: o.warmup ?? DEFAULT_WARMUP,
    repeats: o.repeats ?? DEFAULT_REPEATS,
    rounds: o.rounds ?? DEFAULT_ROUNDS,
    statistic: 'median' as const,
    batch: 1,
    preempted: PREEMPTED_TEXT,
  };
  const seed = o.seed ?? 0;
  const required = requiredOps(space, { input, sample: o.sample, seed });
  const coverage = required.coverage;
  const calibrate = o.calibrate ?? DEFAULT_CALIBRATE;
  const cseed = o.calibrationSeed ?? DEFAULT_CALIBRATION_SEED;
  const calArchs = calibrate > 0 ? sampleUniformN(space, calibrate, cseed) : [];
  // The calibration networks need their keys too (new ones only where keys were sampled).
  const extra = calArchs.reduce((n, arch) => n + required.add(arch), 0);
  if (extra) coverage.description += ` Plus ${extra} key(s) of the ${calibrate} calibration architectures.`;
  const ops = required.ops;

  // Ops and calibration networks are timed in the same interleaved rounds, so that both see the
  // same machine: load from other processes that comes and goes then lands on the entries and on
  // the networks alike, instead of being fitted into overheadUs.
  type Subject = { kind: 'op'; i: number } | { kind: 'net'; i: number; desc: NetDesc };
  const subjects: Subject[] = [
    ...ops.map((_, i) => ({ kind: 'op' as const, i })),
    ...calArchs.map((arch, i) => ({ kind: 'net' as const, i, desc: decode(space, arch, input ? { input } : {}) })),
  ];
  const timings = await measureInRounds(
    subjects,
    (sub, m) =>
      sub.kind === 'op'
        ? o.target.measure({ kind: 'op', spec: ops[sub.i]!.spec }, ops[sub.i]!.spec.input, m)
        : o.target.measure({ kind: 'network', desc: sub.desc }, sub.desc.input, m),
    protocol,
    (done, total, sub, t) =>
      o.onProgress?.({
        phase: 'timing',
        done,
        total,
        detail: `${sub.kind === 'op' ? ops[sub.i]!.key : `network ${formatArch(space, calArchs[sub.i]!) || space.name}`} ${t.medianUs.toFixed(1)} us`,
      }),
  );
  const entries: Record<string, LatencyEntry> = {};
  ops.forEach(({ key, spec, layers }, i) => {
    const t = timings[i]!;
    // An op whose copies compute nothing (an identity that the runtime removes) can come out a hair
    // below its call baseline: no measurable compute, 0.
    entries[key] = {
      ...spec,
      us: round3(Math.max(0, t.medianUs)),
      p25Us: round3(t.p25Us),
      p75Us: round3(t.p75Us),
      layers,
    };
  });
  const noise = {
    timedRuns: timings.reduce((n, t) => n + t.runs, 0),
    discardedRuns: timings.reduce((n, t) => n + (t.discarded ?? 0), 0),
    contended: subjects
      .filter((_, i) => timings[i]!.contended)
      .map((sub) =>
        sub.kind === 'op' ? ops[sub.i]!.key : `network ${formatArch(space, calArchs[sub.i]!) || space.name}`,
      ),
  };

  const table: LatencyTable = {
    format: TABLE_FORMAT,
    formatVersion: TABLE_FORMAT_VERSION,
    about: [
      `Latency lookup table of space '${space.name}' on target '${o.target.info.name}' (${o.target.info.runtime} ${o.target.info.version}, ${o.target.info.threads} thread(s), batch ${o.target.info.batch}).`,
      'entries: key -> the op built at that layer (op, input CxHxW, cin, cout, stride) and its time: median (us) and quartiles of `protocol.repeats` timed runs, split into `protocol.rounds` interleaved rounds over all keys, each after `protocol.warmup` untimed runs; runs interrupted by other processes are discarded and re-run (`noise`).',
      `model: ${MODEL_TEXT}.`,
      "overheadUs: the network-level time the per-op sums miss (the network's own forward and memory scope, handing tensors between layers, cache effects), " +
        'the least-squares intercept (slope fixed at 1) of whole networks timed during the build against their per-op sums; see `overhead`. It may be negative.',
      ...(isEngineTarget(o.target.info.name)
        ? []
        : [`ops timed (target.settings.opTiming, opCopies): ${opTimingText(opTimingOf(o.target.info.settings))}.`]),
      'Valid only for the recorded target (runtime, version, threads, settings, machine) and this space and input. See docs/latency.md.',
    ],
    created: new Date().toISOString(),
    target: o.target.info,
    space: { name: space.name, style: space.style, ...(space.file ? { file: space.file } : {}) },
    input,
    classes: space.source.classes,
    protocol,
    coverage,
    model: MODEL_TEXT,
    overheadUs: 0,
    overhead: {
      method: 'not fitted (no calibration networks)',
      archs: 0,
      seed: 0,
      meanSumUs: 0,
      meanMeasuredUs: 0,
      residualSdUs: 0,
      freeFit: { slope: 1, intercept: 0 },
    },
    noise,
    entries,
  };

  // Networks that got too few uninterrupted runs measured other processes' load too: they stay
  // out of the fit while at least 3 clean ones remain (the table's noise lists them).
  const calTimings = timings.slice(ops.length);
  const clean = calTimings.map((t, i) => (t.contended ? -1 : i)).filter((i) => i >= 0);
  const fitSet = clean.length >= 3 ? clean : calTimings.map((_, i) => i);
  if (fitSet.length > 0) {
    const sums = fitSet.map((i) => predictLatency(table, space, calArchs[i]!)); // overheadUs is still 0: the plain sums
    const measured = fitSet.map((i) => calTimings[i]!.medianUs);
    const n = sums.length;
    const meanSum = sums.reduce((a, v) => a + v, 0) / n;
    const meanMeasured = measured.reduce((a, v) => a + v, 0) / n;
    const overheadUs = meanMeasured - meanSum;
    const resid = measured.map((m, i) => m - sums[i]! - overheadUs);
    table.overheadUs = round3(overheadUs);
    table.overhead = {
      method:
        'least-squares intercept, slope fixed at 1: mean of (measured whole network - sum of its entries) over the calibration networks, ' +
        `timed in the same rounds as the ops${fitSet.length < calTimings.length ? `; ${calTimings.length - fitSet.length} contended network(s) left out` : ''}`,
      archs: n,
      seed: cseed,
      meanSumUs: round3(meanSum),
      meanMeasuredUs: round3(meanMeasured),
      residualSdUs: round3(Math.sqrt(resid.reduce((a, r) => a + r * r, 0) / Math.max(1, n - 1))),
      freeFit: (({ slope, intercept }) => ({ slope: round6(slope), intercept: round3(intercept) }))(
        linearFit(sums, measured),
      ),
      networks: fitSet.map((i) => ({
        arch: formatArch(space, calArchs[i]!),
        measuredUs: round3(calTimings[i]!.medianUs),
      })),
    };
  }
  return table;
}

/**
 * Signs that a table's timings were disturbed (other processes, too many threads for the free
 * cores): whole networks that scatter around the per-op model, or a calibration line far from
 * slope 1. Empty when the table looks clean.
 */
export function noiseWarnings(table: LatencyTable): string[] {
  const w: string[] = [];
  const f = table.overhead;
  if (f.archs >= 3) {
    const rel = f.residualSdUs / Math.max(1e-9, f.meanMeasuredUs);
    if (rel > 0.1)
      w.push(
        `whole networks scatter by ${(100 * rel).toFixed(0)}% (sd ${f.residualSdUs.toFixed(0)} us) around sum + overheadUs`,
      );
    if (f.freeFit.slope < 0.8 || f.freeFit.slope > 1.25)
      w.push(`measured networks grow ${f.freeFit.slope.toFixed(2)}x as fast as their per-op sums (1 expected)`);
  }
  const n = table.noise;
  const share = n.discardedRuns / Math.max(1, n.discardedRuns + n.timedRuns);
  if (share > 0.3)
    w.push(`${(100 * share).toFixed(0)}% of the timed runs were interrupted by other processes (discarded and re-run)`);
  if (n.contended.length)
    w.push(
      `${n.contended.length} op(s)/network(s) got too few uninterrupted runs; their timings include other processes' load (${n.contended.slice(0, 3).join('; ')}${n.contended.length > 3 ? '; ...' : ''})`,
    );
  // An entry timed less the call holds compute alone (a few us, zero for a skip): its spread over
  // that small median says nothing about the noise. The networks' scatter above judges such tables.
  if (!opTimingOf(table.target.settings).subtractCall) {
    const spread = Object.values(table.entries)
      .map((e) => (e.p75Us - e.p25Us) / Math.max(1e-9, e.us))
      .sort((a, b) => a - b);
    const mid = spread[Math.floor(spread.length / 2)] ?? 0;
    if (mid > 0.25)
      w.push(`the timed runs of a typical op spread by ${(100 * mid).toFixed(0)}% (interquartile range / median)`);
  }
  if (w.length)
    w.push(
      `timings look noisy (other load on the machine, or more threads than free cores?); rebuild when it is quieter, with \`threads\` at most the idle cores`,
    );
  return w;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;
const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
