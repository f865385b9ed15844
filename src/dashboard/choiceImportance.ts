// Which of a space's choices matter for the objective: for each searched dimension (a layer's op, a
// stage's width), the share of the variance of the objective over the complete trials that its
// value explains on its own (one-way eta squared: between-group over total sum of squares). Choices
// interact and trials are not a balanced design, so the shares need not add up to 1; they rank.
import { escapeHtml } from '../report/escape';
import { formatMetric, metricScale } from '../report/metricScale';
import type { ReportTrial } from '../report/types';
import { parseArch } from '../space/archFormat';
import { loadSpace } from '../space/registry';

export interface ChoiceImportance {
  key: string;
  /** Share of the objective's variance its value explains alone, 0..1. */
  share: number;
  /** Each value seen: how many trials, their mean objective. Best first. */
  values: Array<{ value: string; n: number; mean: number }>;
}

/** Importances, most important first; null when the space cannot be read or fewer than 3 trials parse. */
export function choiceImportance(
  space: string,
  trials: readonly ReportTrial[],
  metric: string,
  direction: 'maximize' | 'minimize',
): ChoiceImportance[] | null {
  let s;
  try {
    s = loadSpace(space);
  } catch {
    return null;
  }
  const rows: Array<{ arch: Record<string, unknown>; y: number }> = [];
  for (const t of trials) {
    const y = t.metrics[metric];
    if (t.state !== 'complete' || y === undefined || !Number.isFinite(y)) continue;
    try {
      rows.push({ arch: parseArch(s, t.arch), y });
    } catch {
      // A trial of another space (search-space evolution): not this space's choices.
    }
  }
  if (rows.length < 3) return null;
  const mean = rows.reduce((a, r) => a + r.y, 0) / rows.length;
  const total = rows.reduce((a, r) => a + (r.y - mean) ** 2, 0);
  const sign = direction === 'maximize' ? -1 : 1;
  return s.searchDims
    .map((d) => {
      const groups = new Map<string, { n: number; sum: number }>();
      for (const r of rows) {
        const v = String(r.arch[d.key]);
        const g = groups.get(v) ?? { n: 0, sum: 0 };
        g.n++;
        g.sum += r.y;
        groups.set(v, g);
      }
      const between = [...groups.values()].reduce((a, g) => a + g.n * (g.sum / g.n - mean) ** 2, 0);
      return {
        key: d.key,
        share: total > 0 ? between / total : 0,
        values: [...groups.entries()]
          .map(([value, g]) => ({ value, n: g.n, mean: g.sum / g.n }))
          .sort((a, b) => sign * (a.mean - b.mean)),
      };
    })
    .sort((a, b) => b.share - a.share);
}

/** The importances as a table: a bar per choice, its best value and the values seen. */
export function importanceHtml(
  list: ChoiceImportance[] | null,
  metric: string,
  trials: readonly ReportTrial[],
): string {
  if (!list?.length)
    return '<p class="note">Too few complete trials of the study\'s space to say which choices matter.</p>';
  const scale = metricScale(
    metric,
    trials.map((t) => t.metrics[metric]!),
  );
  const fmt = (v: number) => formatMetric(scale, v, true);
  const rows = list.map((c) => {
    const best = c.values[0]!;
    const seen = c.values.map((v) => `${v.value} ${fmt(v.mean)} (${v.n})`).join(', ');
    return (
      `<tr data-choice="${escapeHtml(c.key)}"><td><code>${escapeHtml(c.key)}</code></td>` +
      `<td class="bar"><span class="share" style="width:${(c.share * 100).toFixed(1)}px"></span>${(c.share * 100).toFixed(1)}%</td>` +
      `<td><code>${escapeHtml(best.value)}</code> ${escapeHtml(fmt(best.mean))} (${best.n} trials)</td><td class="note">${escapeHtml(seen)}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table id="importance"><caption>The share of the variance of ${escapeHtml(scale.name.toLowerCase())} over the complete trials that each choice explains on its own (one-way η²); choices interact, so the shares need not add up to 100%.</caption>` +
    `<thead><tr><th>choice</th><th>share explained</th><th>best value (mean)</th><th>values seen: mean (trials)</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}
