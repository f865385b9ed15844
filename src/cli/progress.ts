// Progress for long commands: a redrawn line with rate and ETA on a terminal, plain
// occasional lines otherwise (logs, CI), nothing with --json so stdout stays parseable.
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
