// Several studies on one accuracy-cost plane (a search against its random baseline, one method
// against another): each study's complete trials in a color of their own, and the Pareto front of
// them all, so that who holds which part of the front shows at a glance.
import { plottable, tradeoffChart } from '../report/charts/tradeoff';
import { escapeHtml } from '../report/escape';
import { formatMetric, metricScale, nameInText } from '../report/metricScale';
import { paretoFront } from '../report/pareto';
import { chartFigure, tradeoffAxis } from '../report/renderStudyReport';
import type { ReportTrial } from '../report/types';
import type { StudyRecord } from '../study/types';
import { dashboardPage } from './layout';
import { bestOf, studyHref } from './studyFacts';
import { MAX_CHART_POINTS } from './studyPage';
import type { StudyViews } from './studyView';

export async function comparePage(
  store: string,
  all: readonly StudyRecord[],
  chosen: readonly StudyRecord[],
  views: StudyViews,
): Promise<string> {
  const picked = new Set(chosen.map((s) => s.name));
  const form = `<form class="compare" method="get" action="/compare">${all
    .map(
      (s) =>
        `<label><input type="checkbox" name="study" value="${escapeHtml(s.name)}"${picked.has(s.name) ? ' checked' : ''}> ${escapeHtml(s.name)} <span class="note">(${escapeHtml(s.strategy)})</span></label>`,
    )
    .join('')}<button type="submit">Compare</button></form>`;
  const parts = [`<h1><span class="kind">Compare</span> studies</h1>`, form];
  if (chosen.length) {
    const first = chosen[0]!;
    const metric = first.objective.metric;
    const direction = first.objective.direction;
    const same = chosen.filter((s) => s.objective.metric === metric);
    const other = chosen.filter((s) => s.objective.metric !== metric);
    // Each study's trials, its name as their source (one color per study), numbers kept.
    const byStudy = same.map((s) => ({
      study: s,
      trials: views.trials(s).trials.map((t): ReportTrial => ({ ...t, source: s.name })),
    }));
    const trials = byStudy.flatMap((b) => b.trials);
    const x = tradeoffAxis(trials, metric);
    if (other.length)
      parts.push(
        `<p class="note">Left out: ${other.map((s) => `${escapeHtml(s.name)} (objective <code>${escapeHtml(s.objective.metric)}</code>)`).join(', ')}; the plane is of <code>${escapeHtml(metric)}</code>.</p>`,
      );
    const front = x
      ? paretoFront(plottable(trials, x, metric), {
          x: (t) => t.metrics[x]!,
          y: (t) => t.metrics[metric]!,
          xDirection: 'minimize',
          yDirection: direction,
        })
      : [];
    if (!x)
      parts.push(
        '<p class="empty">No complete trial of these studies records its objective and a cost: no plane to draw.</p>',
      );
    else {
      const spec = tradeoffChart(trials, {
        x,
        y: metric,
        yDirection: direction,
        sources: same.map((s) => s.name),
        maxPoints: MAX_CHART_POINTS,
        title: `${metricScale(metric).name} against ${nameInText(metricScale(x))}, ${same.length} studies`,
      });
      if (spec) parts.push(`<div class="charts">${await chartFigure(spec, 'compare-plane')}</div>`);
    }
    const scale = metricScale(
      metric,
      trials.map((t) => t.metrics[metric]!),
    );
    const rows = byStudy.map(({ study, trials: ts }) => {
      const best = bestOf(study, ts);
      const onFront = front.filter((t) => t.source === study.name).length;
      return `<tr data-study="${escapeHtml(study.name)}"><td><a href="${escapeHtml(studyHref(study.name))}">${escapeHtml(study.name)}</a></td><td>${escapeHtml(study.strategy)}</td><td class="num">${ts.filter((t) => t.state === 'complete').length}</td><td class="num">${escapeHtml(formatMetric(scale, best?.metrics[metric], true))}</td><td class="num" data-front>${onFront}</td></tr>`;
    });
    parts.push(
      `<div class="table-wrap"><table id="compare"><thead><tr><th>study</th><th>strategy</th><th class="num">complete</th><th class="num">best ${escapeHtml(nameInText(scale))}</th><th class="num">on the joint front</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
    );
  } else parts.push('<p class="note">Choose two or more studies of the store.</p>');
  return dashboardPage({ title: 'Compare', store, data: { page: 'compare' } }, parts.join('\n'));
}
