// A study's page: its facts, the accuracy-cost plane with the Pareto front, the history, the epoch
// curves of running trials, the trial grid, and the method's own sections (the same data and plug-in
// hooks as the static report: buildReportData). Each part is a fragment the page fetches again when
// the server pushes a change; the charts are the report's Vega-Lite specs drawn to SVG on the server.
import { extent } from '../report/charts/axes';
import { sourcesOf } from '../report/charts/colors';
import { lineChart, type LineSeries } from '../report/charts/lines';
import { bestSoFarChart } from '../report/charts/progress';
import { plottable, tradeoffChart } from '../report/charts/tradeoff';
import { escapeHtml } from '../report/escape';
import { metricScale } from '../report/metricScale';
import { paretoFront } from '../report/pareto';
import { chartFigure, tradeoffAxis } from '../report/renderStudyReport';
import type { ReportTrial } from '../report/types';
import { ageHtml, bestHtml, bestOf, countsHtml, stateBadge, trialHref } from './studyFacts';
import { dashboardPage } from './layout';
import { drawnOnce, type StudyView } from './studyView';
import { choiceImportance, importanceHtml } from './choiceImportance';

/**
 * Most trial points a chart draws (the rest thinned evenly; the front and new bests always kept):
 * drawing takes time in proportion, and a live page draws again at every change.
 */
export const MAX_CHART_POINTS = 800;
/** The history charts' (two of them, smaller). */
const MAX_HISTORY_POINTS = 400;

/** Lets requests waiting on the server (a grid page) in between two charts. */
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Running trials whose epoch curves are drawn (the latest started). */
const MAX_RUNNING_CURVES = 12;

export const fragmentHref = (study: string, part: string): string =>
  `/fragment/study/${encodeURIComponent(study)}/${part}`;
export const eventsHref = (study: string): string => `/events/study/${encodeURIComponent(study)}`;
export const gridHref = (study: string): string => `/api/study/${encodeURIComponent(study)}/trials`;

export function summaryFragment(v: StudyView): string {
  const { study, stamp, data } = v;
  const m = study.objective.metric;
  const best = bestOf(study, data.trials);
  const facts: Array<[string, string]> = [
    ['State', stateBadge(stamp, study)],
    ['Strategy', escapeHtml(study.strategy)],
    ['Space', `<code>${escapeHtml(study.space)}</code>`],
    ['Evaluator', escapeHtml(data.study.evaluator)],
    ['Objective', `${escapeHtml(study.objective.direction)} <code>${escapeHtml(m)}</code>`],
    [
      'Constraints',
      study.constraints.length ? study.constraints.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ') : 'none',
    ],
    [
      'Trials',
      `<span id="trial-count" data-trials="${stamp.trials}">${stamp.trials}</span> ${countsHtml(stamp, study)}${v.interrupted ? ` <span class="note">(${v.interrupted} interrupted)</span>` : ''}`,
    ],
    [
      'Best',
      bestHtml(
        study,
        best,
        data.trials.map((t) => t.metrics[m]!),
      ),
    ],
    ['Workers alive', `<span data-workers>${stamp.workers}</span>`],
    ['Age', ageHtml(study, stamp)],
    ['Seed', escapeHtml(study.seed)],
  ];
  return `<dl class="facts" data-version="${v.version}">${facts.map(([k, val]) => `<dt>${k}</dt><dd>${val}</dd>`).join('')}</dl>${
    best
      ? `<div class="best"><div class="headline">Best so far: trial <a href="${escapeHtml(trialHref(study.name, best.number))}">#${best.number}</a> (${escapeHtml(best.source ?? 'unknown source')})</div><code>${escapeHtml(best.arch)}</code></div>`
      : ''
  }`;
}

/** The x of a running trial's curve: its epoch number when recorded, else its place. */
const epochX = (e: Record<string, number>, i: number) => (Number.isFinite(e.epoch) ? e.epoch! + 1 : i + 1);

/** The metric an epoch curve follows: the objective when epochs record it, else an accuracy, else a loss. */
export function curveMetric(trials: readonly ReportTrial[], objective: string): string | null {
  const keys = new Set(trials.flatMap((t) => t.epochs.flatMap((e) => Object.keys(e))));
  keys.delete('epoch');
  if (keys.has(objective)) return objective;
  return [...keys].find((k) => /acc/i.test(k)) ?? [...keys].find((k) => /loss/i.test(k)) ?? [...keys][0] ?? null;
}

export function epochSeries(trials: readonly ReportTrial[], metric: string): LineSeries[] {
  return trials.map((t) => ({
    name: `#${t.number}`,
    points: t.epochs.map((e, i) => ({ x: epochX(e, i), y: e[metric]! })),
  }));
}

export function chartsFragment(v: StudyView): Promise<string> {
  return drawnOnce(v, 'charts', () => drawCharts(v));
}

async function drawCharts(v: StudyView): Promise<string> {
  const { study, data } = v;
  const trials = data.trials;
  const metric = study.objective.metric;
  const direction = study.objective.direction;
  const sources = sourcesOf(trials.filter((t) => t.state === 'complete'));
  const parts: string[] = [];
  const xMetric = tradeoffAxis(trials, metric);
  const objName = metricScale(metric).name;
  parts.push(`<h2 id="plane">${escapeHtml(objName)} against cost</h2>`);
  if (!xMetric)
    parts.push(
      '<p class="empty">No complete trial records its objective and latency, MACs or params yet: no plane to draw.</p>',
    );
  else {
    const spec = tradeoffChart(trials, {
      x: xMetric,
      y: metric,
      yDirection: direction,
      sources,
      maxPoints: MAX_CHART_POINTS,
      marks: data.marks?.networks,
      marksNote: data.marks?.note,
    });
    const front = paretoCount(trials, xMetric, metric, direction);
    if (spec)
      parts.push(
        `<div class="charts">${await chartFigure(spec, `tradeoff-${xMetric}`)}</div><p class="note">${front} trials on the Pareto front.</p>`,
      );
  }
  await yieldToRequests();
  parts.push('<h2 id="history">History</h2>');
  const history: string[] = [];
  const byTrial = bestSoFarChart(trials, { metric, direction, by: 'trial', sources, maxPoints: MAX_HISTORY_POINTS });
  if (byTrial) history.push(await chartFigure(byTrial, 'best-by-trial'));
  await yieldToRequests();
  const origin = extent([study.createdAt, ...trials.map((t) => t.startedAt ?? NaN).filter(Number.isFinite)])[0];
  const byTime = bestSoFarChart(trials, {
    metric,
    direction,
    by: 'time',
    origin,
    sources,
    maxPoints: MAX_CHART_POINTS,
  });
  if (byTime) history.push(await chartFigure(byTime, 'best-by-time'));
  parts.push(
    history.length ? `<div class="charts">${history.join('\n')}</div>` : '<p class="empty">No complete trial yet.</p>',
  );

  await yieldToRequests();
  parts.push('<h2 id="running">Running trials</h2>');
  const running = trials.filter((t) => t.state === 'running');
  const withEpochs = running.filter((t) => t.epochs.length).slice(-MAX_RUNNING_CURVES);
  const cm = curveMetric(withEpochs, metric);
  if (!running.length) parts.push('<p class="note" id="no-running">No trial is running.</p>');
  else {
    parts.push(
      `<p class="note">${running.length} running: ${running
        .slice(-20)
        .map((t) => `<a href="${escapeHtml(trialHref(study.name, t.number))}">#${t.number}</a>`)
        .join(' ')}</p>`,
    );
    if (cm) {
      const spec = lineChart(epochSeries(withEpochs, cm), {
        title: `${metricScale(cm).name} by epoch, running trials`,
        xTitle: 'epoch',
        yTitle: metricScale(cm).name,
        width: 560,
        height: 260,
      });
      parts.push(`<div class="charts">${await chartFigure(spec, 'running-epochs')}</div>`);
    } else parts.push('<p class="note">No running trial has finished an epoch yet.</p>');
  }
  await yieldToRequests();
  parts.push('<h2 id="choices">Which choices matter</h2>');
  parts.push(importanceHtml(choiceImportance(study.space, trials, metric, direction), metric, trials));
  return parts.join('\n');
}

function paretoCount(trials: readonly ReportTrial[], x: string, y: string, direction: 'maximize' | 'minimize'): number {
  return paretoFront(plottable(trials, x, y), {
    x: (t) => t.metrics[x]!,
    y: (t) => t.metrics[y]!,
    xDirection: 'minimize',
    yDirection: direction,
  }).length;
}

/** The method's own sections and the final training's result against the references, when there are any. */
export function sectionsFragment(v: StudyView): Promise<string> {
  return drawnOnce(v, 'sections', () => drawSections(v));
}

async function drawSections(v: StudyView): Promise<string> {
  const sections = v.data.sections ?? [];
  if (!sections.length) return '<p class="note">This study\'s method adds no views of its own (yet).</p>';
  const parts: string[] = [];
  for (const [i, s] of sections.entries()) {
    // Section HTML is the plug-ins' own, escaped where they build it (as in the static report).
    parts.push(`<section id="section-${i + 1}" class="extra"><h2>${escapeHtml(s.title)}</h2>`);
    if (s.html) parts.push(`<div class="section-html">${s.html}</div>`);
    const figs: string[] = [];
    for (const [j, spec] of (s.charts ?? []).entries()) figs.push(await chartFigure(spec, `section-${i + 1}-${j + 1}`));
    if (figs.length) parts.push(`<div class="charts">${figs.join('\n')}</div>`);
    parts.push('</section>');
  }
  return parts.join('\n');
}

export async function studyPage(store: string, v: StudyView): Promise<string> {
  const name = v.study.name;
  const [charts, sections] = await Promise.all([chartsFragment(v), sectionsFragment(v)]);
  return dashboardPage(
    {
      title: name,
      store,
      data: {
        page: 'study',
        study: name,
        events: eventsHref(name),
        grid: gridHref(name),
        version: String(v.version),
      },
    },
    `<h1><span class="kind">Study</span> ${escapeHtml(name)}</h1>
<p class="lede">${escapeHtml(v.study.strategy)} search over <code>${escapeHtml(v.study.space)}</code>. <a href="/compare?study=${encodeURIComponent(name)}">Compare with other studies</a></p>
<nav class="toc"><a href="#plane">Accuracy–cost plane</a><a href="#history">History</a><a href="#running">Running</a><a href="#choices">Choices</a><a href="#trials">Trials</a><a href="#sections">Method</a></nav>
<section id="summary" data-live-src="${escapeHtml(fragmentHref(name, 'summary'))}">${summaryFragment(v)}</section>
<section id="charts" data-live-src="${escapeHtml(fragmentHref(name, 'charts'))}">${charts}</section>
<h2 id="trials">Trials</h2>
<section id="grid" class="grid-host"><p class="note">The trial grid needs the dashboard's script.</p></section>
<h2 id="sections-title">The method's own views</h2>
<section id="sections" data-live-src="${escapeHtml(fragmentHref(name, 'sections'))}">${sections}</section>`,
  );
}
