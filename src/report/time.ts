// Dates and durations as a report shows them (UTC, so a report reads the same everywhere).

export function formatDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** '850 ms', '12.3 s', '4 min 05 s', '2 h 14 min', '3 d 4 h'. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(sec).padStart(2, '0')} s`;
}

export interface TimeUnit {
  unit: 's' | 'min' | 'h' | 'd';
  ms: number;
  title: string;
}

/** The unit to plot an elapsed span in: seconds under 2 min, minutes under 2 h, hours under 3 days. */
export function elapsedUnit(spanMs: number): TimeUnit {
  if (spanMs < 120e3) return { unit: 's', ms: 1e3, title: 'seconds' };
  if (spanMs < 7200e3) return { unit: 'min', ms: 60e3, title: 'minutes' };
  if (spanMs < 3 * 86400e3) return { unit: 'h', ms: 3600e3, title: 'hours' };
  return { unit: 'd', ms: 86400e3, title: 'days' };
}
