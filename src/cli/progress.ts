// Progress for long commands: a redrawn line with rate and ETA on a terminal, plain
// occasional lines otherwise (logs, CI), nothing with --json so stdout stays parseable; and a
// search's progress (trials complete of the target, failures, elapsed, time left) as trials settle.
import { estimateProgress, type StudyProgress } from '../search/progressEstimate';
import type { TrialCounts } from '../study/runSearch';

export class Progress {
  private readonly start = Date.now();
  private lastPlain = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {}

  tick(done: number, detail = ''): void {
    if (this.quiet) return;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const pct = Math.floor((100 * done) / this.total);
    const text = `${this.label} ${done}/${this.total} (${pct}%) ${detail} eta ${formatSeconds(eta)}`;
    if (process.stderr.isTTY) {
      const width = 24;
      const filled = Math.round((width * done) / this.total);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      if (done >= this.total) process.stderr.write('\n');
    } else if (done >= this.total || Date.now() - this.lastPlain > 5000) {
      this.lastPlain = Date.now();
      process.stderr.write(`${text}\n`);
    }
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A study's progress for the terminal: 'progress: 3 of 20 complete, 1 failed, 1m02s elapsed, about 5m10s left'. */
export function studyProgressLine(p: StudyProgress): string {
  const left =
    p.etaMs === null ? 'time left unknown yet' : p.etaMs === 0 ? 'done' : `about ${formatSeconds(p.etaMs / 1000)} left`;
  return `progress: ${p.complete} of ${p.target} complete, ${p.failed} failed, ${formatSeconds(p.elapsedMs / 1000)} elapsed, ${left}`;
}

/**
 * Prints a search's progress as trials settle: the first, the last, and otherwise at most one
 * line every `everyMs` (a line per trial for trials longer than that).
 */
export class StudyProgressPrinter {
  private readonly start = Date.now();
  private readonly durations: number[] = [];
  private lastLine = -Infinity;
  private lastSettled = -1;

  constructor(
    private readonly log: (line: string) => void,
    private readonly workers = 1,
    private readonly everyMs = 5000,
  ) {}

  /** Wall time of a trial settled in this run, for the estimate. */
  timed(t: { startedAt: number | null; finishedAt: number | null }): void {
    if (t.startedAt !== null && t.finishedAt !== null) this.durations.push(t.finishedAt - t.startedAt);
  }

  /** The study's counts now; prints when they changed and a line is due. */
  update(counts: TrialCounts): void {
    const settled = counts.complete + counts.failed;
    if (settled === 0 || settled === this.lastSettled) return;
    const now = Date.now();
    const first = this.lastSettled < 0;
    const done = counts.complete >= counts.target;
    if (!first && !done && now - this.lastLine < this.everyMs) return;
    this.lastSettled = settled;
    this.lastLine = now;
    this.log(
      studyProgressLine(
        estimateProgress({
          ...counts,
          durationsMs: this.durations,
          workers: this.workers,
          elapsedMs: now - this.start,
        }),
      ),
    );
  }
}
