// The timing protocol shared by every measurement on the engine: untimed warm-up runs, then
// `repeats` runs each timed on its own with the monotonic nanosecond clock, reduced to the
// median (robust to preemption and garbage-collection outliers) and the quartiles.
import { quantileSorted } from '../stats/quantiles';
import type { MeasureOptions, Timing } from './target';

/** Involuntary context switches of this process so far (the kernel's count, getrusage). */
const preemptions = (): number => process.resourceUsage().involuntaryContextSwitches;

/** Attempts per wanted run before giving up on clean runs. */
export const MAX_ATTEMPTS_FACTOR = 10;

/**
 * Times run(): warm-up, then one clock reading around each call until `repeats` clean runs are
 * in. A run during which the process was involuntarily descheduled (another process took the
 * core: the kernel's involuntary context-switch count moved) measured that process, not the op:
 * it is discarded and run again, up to MAX_ATTEMPTS_FACTOR x repeats attempts. If fewer than
 * half the wanted runs come out clean, the timing is marked `contended` (and if fewer than 3, the
 * discarded runs are used too). On an idle machine nothing is discarded.
 */
export function timeRuns(run: () => void, o: MeasureOptions): Timing {
  if (!Number.isInteger(o.repeats) || o.repeats < 1)
    throw new Error(`repeats must be a positive integer, got ${o.repeats}`);
  if (!Number.isInteger(o.warmup) || o.warmup < 0)
    throw new Error(`warmup must be a non-negative integer, got ${o.warmup}`);
  for (let i = 0; i < o.warmup; i++) run();
  const clean: number[] = [];
  const preempted: number[] = [];
  for (let attempt = 0; clean.length < o.repeats && attempt < o.repeats * MAX_ATTEMPTS_FACTOR; attempt++) {
    const p0 = preemptions();
    const t0 = process.hrtime.bigint();
    run();
    const us = Number(process.hrtime.bigint() - t0) / 1e3;
    (preemptions() === p0 ? clean : preempted).push(us);
  }
  // Too few clean runs (a long subject on a busy machine): mark it; use the clean runs if there
  // are a few, all runs otherwise.
  const contended = clean.length < Math.ceil(o.repeats / 2);
  const useAll = clean.length < Math.min(3, o.repeats);
  const t = summarize(useAll ? [...clean, ...preempted] : clean);
  return { ...t, discarded: useAll ? 0 : preempted.length, ...(contended ? { contended } : {}) };
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
