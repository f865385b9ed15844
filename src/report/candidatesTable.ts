// The tables of a report: the top candidates by the objective, the Pareto-front candidates,
// and the failed trials with their error text. Every value from the study is escaped.
import { escapeHtml } from './escape';
import { formatMetric, isAccuracyMetric, metricScale, type MetricScale } from './metricScale';
import type { Direction } from './pareto';
import { formatDate, formatDuration } from './time';
import type { ReportTrial } from './types';

/** Metrics that are costs, shown in their own columns after the scores. */
export const COST_METRICS = ['flops', 'params', 'latencyUs'] as const;

export interface TableColumns {
  /** Score metrics, the objective first. */
  scores: MetricScale[];
  /** Cost metrics present in the trials. */
  costs: MetricScale[];
}

/**
 * The columns for a set of trials: the objective, then every other metric the trials hold
 * (accuracies first, e.g. `testAcc`, then the rest in order of first appearance; at most
 * `maxScores` in all), then the known costs.
 */
export function tableColumns(trials: readonly ReportTrial[], objective: string, maxScores = Infinity): TableColumns {
  const seen = new Map<string, number[]>();
  for (const t of trials) {
    for (const [k, v] of Object.entries(t.metrics)) {
      if (!seen.has(k)) seen.set(k, []);
      seen.get(k)!.push(v);
    }
  }
  const values = (k: string) => seen.get(k) ?? [];
  const others = [...seen.keys()]
    .filter((k) => k !== objective && !(COST_METRICS as readonly string[]).includes(k))
    .filter((k) => values(k).some(Number.isFinite))
    .sort((a, b) => Number(isAccuracyMetric(b)) - Number(isAccuracyMetric(a)));
  const scores = [objective, ...others].slice(0, maxScores).map((k) => metricScale(k, values(k)));
  const costs = COST_METRICS.filter((k) => k !== objective && values(k).some(Number.isFinite)).map((k) =>
    metricScale(k, values(k)),
  );
  return { scores, costs };
}

/** Complete trials with a finite objective, best first (ties: lower trial number first). */
export function rankTrials(trials: readonly ReportTrial[], metric: string, direction: Direction): ReportTrial[] {
  const sign = direction === 'maximize' ? -1 : 1;
  return trials
    .filter((t) => t.state === 'complete' && Number.isFinite(t.metrics[metric]))
    .sort((a, b) => sign * (a.metrics[metric]! - b.metrics[metric]!) || a.number - b.number);
}

function duration(t: ReportTrial): string {
  return t.startedAt !== null && t.finishedAt !== null ? formatDuration(t.finishedAt - t.startedAt) : '–';
}

export interface CandidatesTableOptions {
  columns: TableColumns;
  /** Trial numbers on the Pareto front, marked in the table. */
  front?: ReadonlySet<number>;
  /** The rank shown in the first column; default 1, 2, 3, ... */
  ranks?: readonly number[];
  caption?: string;
  id?: string;
}

/** A <table> of candidates in the given order. */
export function candidatesTable(trials: readonly ReportTrial[], opts: CandidatesTableOptions): string {
  const { scores, costs } = opts.columns;
  const head = [
    'Rank',
    'Trial',
    ...scores.map((s) => s.title),
    ...costs.map((s) => s.title),
    'Source',
    'Time',
    'Architecture',
  ];
  const numeric = new Set([
    0,
    1,
    ...scores.map((_, i) => 2 + i),
    ...costs.map((_, i) => 2 + scores.length + i),
    3 + scores.length + costs.length,
  ]);
  const th = head
    .map((h, i) => `<th${numeric.has(i) ? ' class="num"' : ''} scope="col">${escapeHtml(h)}</th>`)
    .join('');
  const body = trials.map((t, i) => {
    const badge = opts.front?.has(t.number) ? ' <span class="badge" title="on the Pareto front">front</span>' : '';
    const cells = [
      `<td class="num">${opts.ranks?.[i] ?? i + 1}</td>`,
      `<td class="num">#${t.number}${badge}</td>`,
      ...scores.map(
        (s, j) => `<td class="num${j === 0 ? ' objective' : ''}">${formatMetric(s, t.metrics[s.metric])}</td>`,
      ),
      ...costs.map((s) => `<td class="num">${formatMetric(s, t.metrics[s.metric])}</td>`),
      `<td>${escapeHtml(t.source ?? '–')}</td>`,
      `<td class="num">${duration(t)}</td>`,
      `<td class="arch"><code>${escapeHtml(t.arch)}</code></td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : '';
  return `<div class="table-wrap"><table class="candidates"${opts.id ? ` id="${escapeHtml(opts.id)}"` : ''}>${caption}<thead><tr>${th}</tr></thead><tbody>${body.join('\n')}</tbody></table></div>`;
}

/** Failed trials with their error text, in a collapsed <details>; '' when there are none. */
export function failedTrialsDetails(trials: readonly ReportTrial[], max = 200): string {
  const failed = trials.filter((t) => t.state === 'failed').sort((a, b) => a.number - b.number);
  if (!failed.length) return '';
  const rows = failed
    .slice(0, max)
    .map(
      (t) =>
        `<tr><td class="num">#${t.number}</td><td>${escapeHtml(t.source ?? '–')}</td>` +
        `<td class="num">${escapeHtml(formatDate(t.finishedAt ?? t.startedAt))}</td><td class="arch"><code>${escapeHtml(t.arch)}</code></td>` +
        `<td><pre class="error">${escapeHtml(t.error ?? '(no error text recorded)')}</pre></td></tr>`,
    );
  const more =
    failed.length > max ? `<p class="note">… and ${failed.length - max} more failed trials not listed.</p>` : '';
  return (
    `<details class="failed" id="failed"><summary>${failed.length} failed trial${failed.length === 1 ? '' : 's'} (with error text)</summary>` +
    `<div class="table-wrap"><table class="failed-table"><thead><tr><th class="num">Trial</th><th>Source</th><th class="num">When</th><th>Architecture</th><th>Error</th></tr></thead>` +
    `<tbody>${rows.join('\n')}</tbody></table></div>${more}</details>`
  );
}
