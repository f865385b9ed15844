// The trial grid's rows: sorted, filtered and cut to one page on the server, so that a study of
// 10,000 trials sends the browser 50 rows at a time. Cells are formatted here (the report's metric
// scales) and sent as text; the page puts them in with textContent, never as HTML.
import { formatMetric, metricScale, type MetricScale } from '../report/metricScale';
import { formatDate } from '../report/time';
import type { ReportTrial } from '../report/types';

export interface GridQuery {
  offset: number;
  limit: number;
  /** 'number', 'state', 'source', 'finishedAt' or a metric. */
  sort: string;
  dir: 'asc' | 'desc';
  /** Only trials in this state ('' for all). */
  state: string;
  /** Only trials whose architecture, source or error contains this text (case-insensitive). */
  q: string;
}

export interface GridColumn {
  key: string;
  title: string;
  numeric: boolean;
}

export interface GridPage {
  total: number;
  matched: number;
  offset: number;
  columns: GridColumn[];
  rows: Array<{ number: number; state: string; cells: string[] }>;
}

export const MAX_GRID_ROWS = 500;

/** Metrics in the order a reader looks for them: the objective, then the costs, then the rest by name. */
export function gridMetrics(trials: readonly ReportTrial[], objective: string): string[] {
  const keys = new Set<string>();
  for (const t of trials) for (const k of Object.keys(t.metrics)) keys.add(k);
  const first = [objective, 'latencyUs', 'flops', 'params'].filter((k) => keys.has(k));
  return [...first, ...[...keys].filter((k) => !first.includes(k)).sort()];
}

/** A query from a request's parameters; anything unreadable falls back to the default. */
export function gridQuery(p: Record<string, string | undefined>): GridQuery {
  const int = (v: string | undefined, d: number) => (v !== undefined && /^\d{1,7}$/.test(v) ? Number(v) : d);
  return {
    offset: int(p.offset, 0),
    limit: Math.min(MAX_GRID_ROWS, Math.max(1, int(p.limit, 50))),
    sort: p.sort ?? 'number',
    dir: p.dir === 'asc' ? 'asc' : 'desc',
    state: p.state ?? '',
    q: (p.q ?? '').slice(0, 200),
  };
}

function sortValue(t: ReportTrial, key: string): number | string {
  if (key === 'number') return t.number;
  if (key === 'state') return t.state;
  if (key === 'source') return t.source ?? '';
  if (key === 'finishedAt') return t.finishedAt ?? NaN;
  return t.metrics[key] ?? NaN;
}

/** One page of the grid. Unknown values (NaN) sort last whichever the direction. */
export function gridPage(trials: readonly ReportTrial[], objective: string, q: GridQuery): GridPage {
  const metrics = gridMetrics(trials, objective);
  const needle = q.q.toLowerCase();
  const matched = trials.filter(
    (t) =>
      (!q.state || t.state === q.state) &&
      (!needle ||
        t.arch.toLowerCase().includes(needle) ||
        (t.source ?? '').toLowerCase().includes(needle) ||
        (t.error ?? '').toLowerCase().includes(needle)),
  );
  const key =
    q.sort === 'number' ||
    q.sort === 'state' ||
    q.sort === 'source' ||
    q.sort === 'finishedAt' ||
    metrics.includes(q.sort)
      ? q.sort
      : 'number';
  const sign = q.dir === 'asc' ? 1 : -1;
  const rows = matched
    .map((t) => ({ t, v: sortValue(t, key) }))
    .sort((a, b) => {
      const an = typeof a.v === 'number' && Number.isNaN(a.v);
      const bn = typeof b.v === 'number' && Number.isNaN(b.v);
      if (an || bn) return an === bn ? a.t.number - b.t.number : an ? 1 : -1;
      const c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
      return sign * c || sign * (a.t.number - b.t.number);
    })
    .slice(q.offset, q.offset + q.limit)
    .map((r) => r.t);
  const scales = new Map<string, MetricScale>(
    metrics.map((m) => [
      m,
      metricScale(
        m,
        trials.map((t) => t.metrics[m]!),
      ),
    ]),
  );
  const columns: GridColumn[] = [
    { key: 'number', title: '#', numeric: true },
    { key: 'state', title: 'state', numeric: false },
    ...metrics.map((m) => ({ key: m, title: scales.get(m)!.title, numeric: true })),
    { key: 'source', title: 'source', numeric: false },
    { key: 'finishedAt', title: 'finished', numeric: false },
    { key: 'arch', title: 'architecture', numeric: false },
  ];
  return {
    total: trials.length,
    matched: matched.length,
    offset: q.offset,
    columns,
    rows: rows.map((t) => ({
      number: t.number,
      state: t.state,
      cells: [
        String(t.number),
        t.state,
        ...metrics.map((m) => formatMetric(scales.get(m)!, t.metrics[m])),
        t.source ?? '–',
        formatDate(t.finishedAt),
        t.arch,
      ],
    })),
  };
}
