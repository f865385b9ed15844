// A study's progress as it runs: trials complete of the target, failures, time elapsed, and an
// estimate of the time left: the trials still to complete (and the failures to expect on the way,
// at the rate seen so far) at the median trial time, run `workers` at a time. Pure: the caller
// gives what it saw (the in-process loop's trials, or the store's under workers).
import { median } from '../stats/quantiles';

export interface ProgressInput {
  /** Complete trials of the study (earlier runs' included). */
  complete: number;
  failed: number;
  /** Complete trials the study ends with. */
  target: number;
  /** Wall times (ms) of settled trials to estimate from, e.g. this run's. */
  durationsMs: readonly number[];
  /** Trials evaluated at once. Default 1. */
  workers?: number;
  /** Time since this run started (ms). */
  elapsedMs: number;
}

export interface StudyProgress {
  complete: number;
  failed: number;
  target: number;
  elapsedMs: number;
  /** Estimated time left (ms): 0 when done, null before any trial was timed. */
  etaMs: number | null;
}

export function estimateProgress(p: ProgressInput): StudyProgress {
  const remaining = Math.max(0, p.target - p.complete);
  const durations = p.durationsMs.filter((d) => Number.isFinite(d) && d >= 0);
  let etaMs: number | null = null;
  if (remaining === 0) etaMs = 0;
  else if (durations.length) {
    // Attempts per complete trial so far (1 without failures); with no complete trial yet, 1.
    const attempts = p.complete > 0 ? (p.complete + p.failed) / p.complete : 1;
    const workers = Math.max(1, Math.floor(p.workers ?? 1));
    etaMs = Math.ceil((remaining * attempts) / workers) * median(durations);
  }
  return { complete: p.complete, failed: p.failed, target: p.target, elapsedMs: p.elapsedMs, etaMs };
}
