// The timing protocol shared by every latency target: untimed warm-up runs, then `repeats` runs
// each timed on its own with the monotonic nanosecond clock, reduced to the median (robust to
// preemption and garbage-collection outliers) and the quartiles; and rounds that interleave the
// subjects. A target that cannot read this process's clock around each run (a browser) times the
// runs where they happen and hands the samples to summarize().
import { quantileSorted } from '../stats/quantiles';
import type { MeasureOptions, Timing } from './target';

/** Involuntary context switches of this process so far (the kernel's count, getrusage). */
const preemptions = (): number => process.resourceUsage().involuntaryContextSwitches;

/** Attempts per wanted run before giving up on clean runs. */
export const MAX_ATTEMPTS_FACTOR = 10;

/**
 * The least time a subject warms up before its timed runs, whatever the warm-up count, so that a
 * 100 us subject warms about as long as a 3 ms one does in its 10 runs. Added when ten ONNX
 * networks timed in turn measured ~35% slower than warmed ones; bench/networkWarmup.ts later
 * showed that difference comes and goes with the process (two levels, ~125 and ~180 us, with or
 * without this floor): BENCHMARKS.md, "Deployment runtimes".
 */
export const DEFAULT_WARMUP_MS = 20;

/**
 * Whether the warm-up wants run number i (from 0): at least o.warmup runs and o.warmupMs
 * (DEFAULT_WARMUP_MS) of them, counted from this call; none when o.warmup is 0.
 */
function warmUpWants(o: MeasureOptions): (i: number) => boolean {
  const until = process.hrtime.bigint() + BigInt(Math.round((o.warmupMs ?? DEFAULT_WARMUP_MS) * 1e6));
  return (i) => i < o.warmup || (o.warmup > 0 && process.hrtime.bigint() < until);
}

function warmUp(run: () => void, o: MeasureOptions): void {
  for (let i = 0, wants = warmUpWants(o); wants(i); i++) run();
}

async function warmUpAsync(run: () => Promise<unknown>, o: MeasureOptions): Promise<void> {
  for (let i = 0, wants = warmUpWants(o); wants(i); i++) await run();
}

/**
 * The per-subject protocol every target times with: warm-up, then one clock reading around each
 * run until `repeats` clean runs are in. A run during which the process was involuntarily
 * descheduled (another process took the core: the kernel's involuntary context-switch count
 * moved) measured that process, not the op: it is discarded and run again, up to
 * MAX_ATTEMPTS_FACTOR x repeats attempts. If fewer than half the wanted runs come out clean, the
 * timing is marked `contended` (and if fewer than 3, the discarded runs are used too). On an idle
 * machine nothing is discarded. timeRuns drives it for a synchronous run, timeRunsAsync for one
 * that returns a promise (a runtime that hands work to its own threads); the rules are here once.
 */
class RunProtocol {
  readonly clean: number[] = [];
  readonly preempted: number[] = [];
  #attempts = 0;
  constructor(readonly o: MeasureOptions) {
    if (!Number.isInteger(o.repeats) || o.repeats < 1)
      throw new Error(`repeats must be a positive integer, got ${o.repeats}`);
    if (!Number.isInteger(o.warmup) || o.warmup < 0)
      throw new Error(`warmup must be a non-negative integer, got ${o.warmup}`);
  }
  /** Whether another timed attempt is wanted. */
  get more(): boolean {
    return this.clean.length < this.o.repeats && this.#attempts < this.o.repeats * MAX_ATTEMPTS_FACTOR;
  }
  start(): { p0: number; t0: bigint } {
    this.#attempts++;
    return { p0: preemptions(), t0: process.hrtime.bigint() };
  }
  stop(s: { p0: number; t0: bigint }): void {
    this.record(s, Number(process.hrtime.bigint() - s.t0) / 1e3);
  }
  /** Keeps a value derived from the clock readings since start(s): clean unless the process was preempted since. */
  record(s: { p0: number }, us: number): void {
    (preemptions() === s.p0 ? this.clean : this.preempted).push(us);
  }
  result(): Timing {
    // Too few clean runs (a long subject on a busy machine): mark it; use the clean runs if there
    // are a few, all runs otherwise.
    const contended = this.clean.length < Math.ceil(this.o.repeats / 2);
    const useAll = this.clean.length < Math.min(3, this.o.repeats);
    const t = summarize(useAll ? [...this.clean, ...this.preempted] : this.clean);
    return { ...t, discarded: useAll ? 0 : this.preempted.length, ...(contended ? { contended } : {}) };
  }
}

/** Times a synchronous run() by the shared protocol (RunProtocol). */
export function timeRuns(run: () => void, o: MeasureOptions): Timing {
  const p = new RunProtocol(o);
  warmUp(run, o);
  while (p.more) {
    const s = p.start();
    run();
    p.stop(s);
  }
  return p.result();
}

/** Times an asynchronous run() by the same protocol: each run is awaited inside its clock reading. */
export async function timeRunsAsync(run: () => Promise<unknown>, o: MeasureOptions): Promise<Timing> {
  const p = new RunProtocol(o);
  await warmUpAsync(run, o);
  while (p.more) {
    const s = p.start();
    await run();
    p.stop(s);
  }
  return p.result();
}

/**
 * Times an op's model run by run against its call baseline (opTiming.ts), by the same protocol:
 * each timed attempt runs both, in alternating order (neither always follows the other), and
 * keeps (model - baseline) / copies, the compute of one copy; a pair during which the process
 * was preempted is discarded. Without a baseline, each run's time / copies.
 */
export async function timePerCopyAsync(
  run: () => Promise<unknown>,
  baseline: (() => Promise<unknown>) | null,
  copies: number,
  o: MeasureOptions,
): Promise<Timing> {
  if (!baseline && copies === 1) return timeRunsAsync(run, o);
  const p = new RunProtocol(o);
  await warmUpAsync(async () => {
    await run();
    await baseline?.();
  }, o);
  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - t0) / 1e3;
  };
  for (let i = 0; p.more; i++) {
    const s = p.start();
    let runUs: number;
    let baseUs = 0;
    if (baseline && i % 2 === 1) {
      baseUs = await timed(baseline);
      runUs = await timed(run);
    } else {
      runUs = await timed(run);
      if (baseline) baseUs = await timed(baseline);
    }
    p.record(s, perCopyUs(runUs, baseUs, copies));
  }
  return p.result();
}

/** One copy's compute from a run of `copies` copies and its baseline's run (0: none), microseconds. */
export function perCopyUs(runUs: number, baselineUs: number, copies: number): number {
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`copies must be a positive integer, got ${copies}`);
  return (runUs - baselineUs) / copies;
}

/** perCopyUs over paired samples timed elsewhere (a browser); `baselineUs` null: none. */
export function perCopySamples(
  runUs: readonly number[],
  baselineUs: readonly number[] | null,
  copies: number,
): number[] {
  if (baselineUs && baselineUs.length !== runUs.length)
    throw new Error(`internal error: ${runUs.length} runs but ${baselineUs.length} baseline runs`);
  return runUs.map((r, i) => perCopyUs(r, baselineUs ? baselineUs[i]! : 0, copies));
}

/** Median and quartiles of timed runs (microseconds); keeps the runs. */
export function summarize(samplesUs: readonly number[]): Timing {
  const s = [...samplesUs].sort((a, b) => a - b);
  return {
    medianUs: quantileSorted(s, 0.5),
    p25Us: quantileSorted(s, 0.25),
    p75Us: quantileSorted(s, 0.75),
    runs: s.length,
    samplesUs: [...samplesUs],
  };
}

/**
 * Times several subjects in interleaved rounds: each round measures every subject once with
 * ceil(repeats / rounds) timed runs (after its own warm-up), and the runs of all rounds are
 * pooled into one median per subject. A burst of load from other processes then lands on all
 * subjects alike instead of on whichever was being timed, which keeps their order right.
 */
export async function measureInRounds<S>(
  subjects: readonly S[],
  measure: (s: S, o: MeasureOptions) => Promise<Timing>,
  o: MeasureOptions & { rounds: number },
  onDone?: (done: number, total: number, subject: S, t: Timing) => void,
): Promise<Timing[]> {
  const rounds = Math.max(1, Math.min(o.rounds, o.repeats));
  const per = Math.ceil(o.repeats / rounds);
  const pooled: number[][] = subjects.map(() => []);
  const discarded: number[] = subjects.map(() => 0);
  const contended: boolean[] = subjects.map(() => false);
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < subjects.length; i++) {
      const t = await measure(subjects[i]!, { warmup: o.warmup, repeats: per });
      pooled[i]!.push(...(t.samplesUs ?? Array.from({ length: t.runs }, () => t.medianUs)));
      discarded[i]! += t.discarded ?? 0;
      contended[i] = contended[i]! || !!t.contended;
      done++;
      onDone?.(done, rounds * subjects.length, subjects[i]!, t);
    }
  }
  return pooled.map((s, i) => ({
    ...summarize(s),
    discarded: discarded[i]!,
    ...(contended[i] ? { contended: true } : {}),
  }));
}
