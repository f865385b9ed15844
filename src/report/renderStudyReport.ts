// The study report: one self-contained HTML file. A header (what was searched, how, how many
// trials in which state, over what time), the trade-off charts with the Pareto front, the
// best-so-far charts, the top and Pareto-front candidates, the failed trials, then any
// sections the strategy adds (FBNet: distributions over epochs, expected latency).
import { extent } from './charts/axes';
import { curveMetric, learningCurvesChart } from './charts/learningCurves';
import { opFrequencyChart } from './charts/opFrequency';
import { parallelCoordinatesChart } from './charts/parallelCoordinates';
import { bestSoFarChart } from './charts/progress';
import { plottable, tradeoffChart } from './charts/tradeoff';
import { sourcesOf } from './charts/colors';
import { candidatesTable, failedTrialsDetails, rankTrials, tableColumns } from './candidatesTable';
import { escapeHtml } from './escape';
import { formatMetric, metricScale, nameInText, type MetricScale } from './metricScale';
import { pageHtml } from './page';
import { paretoFront } from './pareto';
import { formatDate, formatDuration } from './time';
import type { ReportData, ReportTrial } from './types';
import { renderVegaLite } from './vegaSvg';

export interface ReportOptions {
  /** Rows in the top-candidates table. Default 15. */
  topN?: number;
  /** Most trial points in the main trade-off chart (the rest evenly sampled; Pareto-front points and
   * new bests always kept); the smaller charts draw 60% of it, baselines half. Default 1000. */
  maxPoints?: number;
}

/** Cost metrics in order of preference for the x axis of the main trade-off chart. */
const X_METRICS = ['latencyUs', 'flops', 'params'];

/** An SVG chart in a <figure>, or a visible error box when the spec cannot be drawn. */
export async function chartFigure(spec: object, name: string): Promise<string> {
  try {
    const { svg } = await renderVegaLite(spec);
    return `<figure class="chart" data-chart="${escapeHtml(name)}">${svg}</figure>`;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return `<div class="chart-error" data-chart-error="${escapeHtml(name)}">Chart '${escapeHtml(name)}' could not be drawn: ${escapeHtml(msg)}</div>`;
  }
}

function countStates(trials: readonly ReportTrial[]): Record<ReportTrial['state'], number> {
  const n = { complete: 0, failed: 0, pruned: 0, running: 0 };
  for (const t of trials) if (t.state in n) n[t.state]++;
  return n;
}

function finiteTimes(trials: readonly ReportTrial[]): number[] {
  return trials
    .flatMap((t) => [t.startedAt, t.finishedAt])
    .filter((v): v is number => v !== null && Number.isFinite(v));
}

/** The study config as JSON (bigints as strings); never throws. */
function configText(config: unknown): string {
  try {
    return JSON.stringify(config, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? '{}';
  } catch (e) {
    return `(config not serializable: ${e instanceof Error ? e.message : String(e)})`;
  }
}

function header(
  data: ReportData,
  ranked: ReportTrial[],
  front: ReadonlySet<number>,
  links: Array<[href: string, text: string]>,
): string {
  const { study, trials } = data;
  const n = countStates(trials);
  const states = (['complete', 'failed', 'pruned', 'running'] as const)
    .filter((s) => n[s] > 0)
    .map((s) => `<span class="state ${s}">${n[s]} ${s}</span>`)
    .join(' ');
  const times = finiteTimes(trials);
  const [first, end] = extent(times);
  const start = Number.isFinite(study.createdAt) ? study.createdAt : first;
  const span =
    Number.isFinite(start) && Number.isFinite(end) && end >= start
      ? `${escapeHtml(formatDate(start))} → ${escapeHtml(formatDate(end))} (${formatDuration(end - start)})`
      : escapeHtml(formatDate(start));
  const obj = metricScale(
    study.objective.metric,
    trials.map((t) => t.metrics[study.objective.metric]!),
  );
  const facts: Array<[string, string]> = [
    ['Strategy', escapeHtml(study.strategy)],
    ['Space', escapeHtml(study.space)],
    ['Evaluator', escapeHtml(study.evaluator)],
    [
      'Objective',
      `${escapeHtml(study.objective.direction)} ${escapeHtml(nameInText(obj))} <span class="note">(<code>${escapeHtml(study.objective.metric)}</code>)</span>`,
    ],
    [
      'Constraints',
      study.constraints.length ? study.constraints.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ') : 'none',
    ],
    ['Trials', `${trials.length} ${trials.length ? `&nbsp;${states}` : ''}`],
    ['Time', span],
    ['Seed', escapeHtml(study.seed)],
  ];
  if (data.baseline)
    facts.push(['Baseline', `${countStates(data.baseline).complete} complete trials (grey in the charts)`]);
  let best = '';
  const top = ranked[0];
  if (top) {
    const costs = ['latencyUs', 'flops', 'params']
      .filter((k) => Number.isFinite(top.metrics[k]))
      .map(
        (k) =>
          `${
            metricScale(
              k,
              trials.map((t) => t.metrics[k]!),
            ).name
          } ${formatMetric(
            metricScale(
              k,
              trials.map((t) => t.metrics[k]!),
            ),
            top.metrics[k],
            true,
          )}`,
      );
    best =
      `<div class="best" id="best"><div class="headline">Best: <strong>${escapeHtml(formatMetric(obj, top.metrics[obj.metric], true))}</strong> ${escapeHtml(nameInText(obj))}` +
      ` — trial #${top.number} (${escapeHtml(top.source ?? 'unknown source')})${costs.length ? ` · ${escapeHtml(costs.join(' · '))}` : ''}` +
      `${front.has(top.number) ? ' <span class="badge">front</span>' : ''}</div><code>${escapeHtml(top.arch)}</code></div>`;
  }
  const warnings = (data.warnings ?? []).map((w) => `<p class="warning" role="alert">${escapeHtml(w)}</p>`).join('');
  const nav = links.map(([href, text]) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`).join('');
  return `<header>
${warnings ? `<div class="warnings" id="warnings">${warnings}</div>\n` : ''}<h1><span class="kind">Study</span> ${escapeHtml(study.name)}</h1>
<p class="lede">${escapeHtml(study.strategy)} search over <code>${escapeHtml(study.space)}</code>, evaluated by <code>${escapeHtml(study.evaluator)}</code></p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
${best}
<details><summary>Study configuration</summary><pre class="config">${escapeHtml(configText(study.config))}</pre></details>
<nav class="toc">${nav}</nav>
</header>`;
}

/** The x metric of the main trade-off chart: latency when known, else MACs, else params (never the objective itself). */
export function tradeoffAxis(trials: readonly ReportTrial[], objective: string): string | null {
  return X_METRICS.find((m) => m !== objective && plottable(trials, m, objective).length > 0) ?? null;
}

function varies(trials: readonly ReportTrial[], metric: string): boolean {
  const vals = new Set(trials.map((t) => t.metrics[metric]).filter((v) => Number.isFinite(v)));
  return vals.size > 1;
}

interface ResultContext {
  ranked: ReportTrial[];
  complete: ReportTrial[];
  front: ReadonlySet<number>;
  xMetric: string | null;
  objScale: MetricScale;
  baseline: ReportTrial[] | undefined;
  sources: string[];
  maxPoints: number;
  topN: number;
}

/** The trade-off, progress and candidates sections, for a study with at least one ranked trial. */
async function resultSections(data: ReportData, c: ResultContext): Promise<string[]> {
  const { study, trials } = data;
  const { ranked, complete, front, xMetric, objScale, baseline, sources, maxPoints, topN } = c;
  const metric = study.objective.metric;
  const direction = study.objective.direction;
  const smallMax = Math.ceil(maxPoints * 0.6);
  const parts: string[] = [];

  // Trade-off
  parts.push(`<section id="tradeoff"><h2>${escapeHtml(objScale.name)} against cost</h2>`);
  if (!xMetric)
    parts.push(`<p class="empty">No complete trial records latency, MACs or params: no trade-off to plot.</p>`);
  else {
    const figs: string[] = [];
    const main = tradeoffChart(trials, {
      x: xMetric,
      y: metric,
      yDirection: direction,
      baseline,
      sources,
      maxPoints,
      marks: data.marks?.networks,
      marksNote: data.marks?.note,
    });
    if (main) figs.push(await chartFigure(main, `tradeoff-${xMetric}`));
    for (const m of X_METRICS.slice(X_METRICS.indexOf(xMetric) + 1)) {
      if (m === metric || !varies(complete, m)) continue;
      const spec = tradeoffChart(trials, {
        x: m,
        y: metric,
        yDirection: direction,
        baseline,
        sources,
        maxPoints: smallMax,
        maxBaselinePoints: Math.ceil(smallMax / 2),
        legend: false,
        width: 440,
        height: 260,
        labelFrontUpTo: 0,
      });
      if (spec) figs.push(await chartFigure(spec, `tradeoff-${m}`));
    }
    parts.push(`<div class="charts">${figs.join('\n')}</div>`);
  }
  parts.push('</section>');

  // Progress
  parts.push(`<section id="progress"><h2>Search progress</h2>`);
  const progress: string[] = [];
  const byTrial = bestSoFarChart(trials, { metric, direction, by: 'trial', baseline, sources, maxPoints: smallMax });
  if (byTrial) progress.push(await chartFigure(byTrial, 'best-by-trial'));
  const origin = extent([study.createdAt, ...finiteTimes(trials)])[0];
  const byTime = bestSoFarChart(trials, { metric, direction, by: 'time', origin, sources, maxPoints: smallMax });
  if (byTime) progress.push(await chartFigure(byTime, 'best-by-time'));
  else progress.push('<p class="note">No finish times recorded: no chart against wall time.</p>');
  parts.push(`<div class="charts">${progress.join('\n')}</div>`, '</section>');

  // Learning curves and the choices of the trials
  const curves = curveMetric(trials);
  const details: string[] = [];
  if (curves) {
    for (const m of [curves, ...(curves.endsWith('Acc') ? ['valLoss'] : [])]) {
      const spec = learningCurvesChart(trials, { metric: m, objective: { metric, direction }, sources });
      if (spec) details.push(await chartFigure(spec, `curves-${m}`));
    }
  }
  const ops = opFrequencyChart(trials);
  if (ops) details.push(await chartFigure(ops, 'op-frequency'));
  const parallel = parallelCoordinatesChart(trials, { metric, direction });
  if (parallel) details.push(await chartFigure(parallel, 'parallel-coordinates'));
  if (details.length)
    parts.push(
      `<section id="trials"><h2>Trials in detail</h2><div class="charts">${details.join('\n')}</div></section>`,
    );

  // Candidates
  parts.push(`<section id="candidates"><h2>Top candidates</h2>`);
  const columns = tableColumns(complete, metric);
  parts.push(
    candidatesTable(ranked.slice(0, topN), {
      columns,
      front,
      id: 'top-candidates',
      caption:
        `The ${Math.min(topN, ranked.length)} best of ${ranked.length} complete trials by ${nameInText(objScale)} (${direction}).` +
        (front.size ? ' "front": on the Pareto front of the trade-off chart.' : ''),
    }),
  );
  if (front.size && xMetric) {
    const frontTrials = ranked
      .filter((t) => front.has(t.number))
      .sort((a, b) => a.metrics[xMetric]! - b.metrics[xMetric]!);
    const ranks = frontTrials.map((t) => ranked.indexOf(t) + 1);
    parts.push(
      `<details id="front-details"><summary>The ${front.size} Pareto-front candidates, by ${escapeHtml(nameInText(metricScale(xMetric)))}</summary>` +
        candidatesTable(frontTrials.slice(0, 100), { columns, front, ranks, id: 'front-candidates' }) +
        '</details>',
    );
  }
  parts.push(failedTrialsDetails(trials));
  parts.push('</section>');

  return parts;
}

/** Whether the report has learning curves or choices to draw (the 'Trials in detail' section). */
function hasDetails(trials: readonly ReportTrial[], metric: string): boolean {
  return (
    curveMetric(trials) !== null ||
    trials.some((t) => t.state === 'complete' && t.choices && Number.isFinite(t.metrics[metric]))
  );
}

/** Renders the complete HTML of a study report. */
export async function renderStudyReport(data: ReportData, options: ReportOptions = {}): Promise<string> {
  const { study, trials } = data;
  const metric = study.objective.metric;
  const direction = study.objective.direction;
  const maxPoints = options.maxPoints ?? 1000;
  const complete = trials.filter((t) => t.state === 'complete');
  const ranked = rankTrials(trials, metric, direction);
  const sources = sourcesOf(complete);
  const baseline = data.baseline?.length ? data.baseline : undefined;
  const xMetric = tradeoffAxis(trials, metric);
  const front = new Set<number>(
    xMetric
      ? paretoFront(plottable(trials, xMetric, metric), {
          x: (t) => t.metrics[xMetric]!,
          y: (t) => t.metrics[metric]!,
          xDirection: 'minimize',
          yDirection: direction,
        }).map((t) => t.number)
      : [],
  );
  const sections = data.sections ?? [];
  const objScale = metricScale(
    metric,
    complete.map((t) => t.metrics[metric]!),
  );
  const nothing = !complete.length
    ? `No complete trials yet: nothing to plot.${trials.length ? ` ${trials.length} trial${trials.length === 1 ? '' : 's'} so far, none complete.` : ' The study has no trials.'}`
    : !ranked.length
      ? `No complete trial has the objective metric '${metric}': nothing to plot or rank.`
      : '';
  const links: Array<[string, string]> = nothing
    ? [['#results', 'Results']]
    : [
        ['#tradeoff', 'Trade-off'],
        ['#progress', 'Progress'],
        ...(hasDetails(trials, metric) ? [['#trials', 'Trials in detail'] as [string, string]] : []),
        ['#candidates', 'Top candidates'],
      ];
  sections.forEach((sec, i) => links.push([`#section-${i + 1}`, sec.title]));
  const parts: string[] = [header(data, ranked, front, links)];

  if (nothing) {
    // One message, not three empty sections.
    parts.push(
      `<section id="results"><h2>Results</h2><p class="empty">${escapeHtml(nothing)}</p>${failedTrialsDetails(trials)}</section>`,
    );
  } else {
    parts.push(
      ...(await resultSections(data, {
        ranked,
        complete,
        front,
        xMetric,
        objScale,
        baseline,
        sources,
        maxPoints,
        topN: options.topN ?? 15,
      })),
    );
  }

  // Sections added by the strategy
  for (const [i, s] of sections.entries()) {
    parts.push(`<section id="section-${i + 1}" class="extra"><h2>${escapeHtml(s.title)}</h2>`);
    if (s.html) parts.push(`<div class="section-html">${s.html}</div>`);
    const figs: string[] = [];
    for (const [j, spec] of (s.charts ?? []).entries()) figs.push(await chartFigure(spec, `section-${i + 1}-${j + 1}`));
    if (figs.length) parts.push(`<div class="charts">${figs.join('\n')}</div>`);
    parts.push('</section>');
  }

  parts.push(
    `<footer>tsnas study report · ${escapeHtml(study.name)} · self-contained: charts are inline SVG, hover a point for its trial.</footer>`,
  );
  return pageHtml(`${study.name} · tsnas study report`, parts.join('\n'));
}
