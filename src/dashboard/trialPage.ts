// A trial's page: its state, metrics and error; its architecture layer by layer with each layer's
// share of the MACs and of the latency from the study's table; its recipe; its per-epoch curves;
// the study's files that belong to it, each a download (studyFiles.ts decides what may be served).
import { lineChart } from '../report/charts/lines';
import { escapeHtml } from '../report/escape';
import { formatMetric, metricScale } from '../report/metricScale';
import { chartFigure } from '../report/renderStudyReport';
import { formatDate, formatDuration } from '../report/time';
import type { StudyRecord, TrialRecord } from '../study/types';
import { dashboardPage } from './layout';
import { eventsHref, fragmentHref } from './studyPage';
import { studyHref } from './studyFacts';
import type { StudyFileEntry } from './studyFiles';
import { trialLayers, type TrialLayers } from './trialLayers';

const bar = (share: number, cls: string) =>
  `<span class="share ${cls}" style="width:${Math.max(0, Math.min(100, share * 100)).toFixed(1)}px"></span>${(share * 100).toFixed(1)}%`;

const json = (v: unknown) => escapeHtml(JSON.stringify(v, null, 2));

function layersTable(l: TrialLayers): string {
  const hasLat = l.totalUs !== null;
  const head =
    '<tr><th>layer</th><th>op</th><th>input</th><th>output</th><th class="num">stride</th><th class="num">MACs</th><th>share of MACs</th><th class="num">params</th>' +
    (hasLat ? '<th class="num">latency (µs)</th><th>share of latency</th>' : '') +
    '</tr>';
  const rows = l.rows.map(
    (r) =>
      `<tr data-layer="${escapeHtml(r.name)}"><td>${escapeHtml(r.name)}</td><td><code>${escapeHtml(r.op)}</code></td><td>${r.input.join('×')}</td><td>${r.output.join('×')}</td>` +
      `<td class="num">${r.stride}</td><td class="num">${r.flops.toLocaleString('en-US')}</td><td class="bar">${bar(l.totalFlops ? r.flops / l.totalFlops : 0, 'macs')}</td>` +
      `<td class="num">${r.params.toLocaleString('en-US')}</td>` +
      (hasLat
        ? `<td class="num">${r.latencyUs!.toFixed(1)}</td><td class="bar" data-latency-share>${bar(r.latencyUs! / l.totalUs!, 'lat')}</td>`
        : '') +
      '</tr>',
  );
  if (hasLat)
    rows.push(
      `<tr><td>overhead</td><td colspan="7" class="note">the table's network-level overhead</td><td class="num">${l.overheadUs!.toFixed(1)}</td><td class="bar">${bar(l.overheadUs! / l.totalUs!, 'lat')}</td></tr>`,
    );
  const total = `Total ${l.totalFlops.toLocaleString('en-US')} MACs${hasLat ? `, ${l.totalUs!.toFixed(1)} µs from the latency table` : ''}, at input ${l.input.join('×')}.`;
  return `<div class="table-wrap"><table id="layers"><caption>${escapeHtml(total)}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>${l.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}`;
}

async function epochCharts(t: TrialRecord): Promise<string> {
  if (!t.epochs.length)
    return '<p class="note">No epochs recorded (an evaluator without training, or none finished yet).</p>';
  const keys = [...new Set(t.epochs.flatMap((e) => Object.keys(e)))].filter((k) => k !== 'epoch');
  const x = (e: Record<string, number>, i: number) => (Number.isFinite(e.epoch) ? e.epoch! + 1 : i + 1);
  const groups: Array<[string, string[]]> = [
    ['Accuracy by epoch', keys.filter((k) => /acc/i.test(k))],
    ['Loss by epoch', keys.filter((k) => /loss/i.test(k))],
    ['Other figures by epoch', keys.filter((k) => !/acc|loss/i.test(k))],
  ];
  const figs: string[] = [];
  for (const [title, ks] of groups) {
    if (!ks.length) continue;
    const spec = lineChart(
      ks.map((k) => ({ name: metricScale(k).name, points: t.epochs.map((e, i) => ({ x: x(e, i), y: e[k]! })) })),
      { title, xTitle: 'epoch', yTitle: title.replace(/ by epoch$/, ''), width: 420, height: 240 },
    );
    figs.push(await chartFigure(spec, `epochs-${title.split(' ')[0]!.toLowerCase()}`));
  }
  return `<div class="charts">${figs.join('\n')}</div>`;
}

function filesList(study: string, files: readonly StudyFileEntry[]): string {
  if (!files.length) return '<p class="note" id="no-files">No files of this trial in the study.</p>';
  return `<ul id="files">${files
    .map(
      (f) =>
        `<li><a href="${escapeHtml(`${studyHref(study)}/files/${f.name.split('/').map(encodeURIComponent).join('/')}`)}" download>${escapeHtml(f.name)}</a> <span class="note">${escapeHtml(f.kind)}${f.size !== null ? `, ${f.size.toLocaleString('en-US')} bytes` : ''}</span></li>`,
    )
    .join('')}</ul>`;
}

export async function trialFragment(
  study: StudyRecord,
  t: TrialRecord,
  files: readonly StudyFileEntry[],
): Promise<string> {
  const m = study.objective.metric;
  const metrics = Object.entries({
    ...t.metrics,
    ...(t.costs.flops !== null ? { flops: t.costs.flops } : {}),
    ...(t.costs.params !== null ? { params: t.costs.params } : {}),
    ...(t.costs.latencyUs !== null ? { latencyUs: t.costs.latencyUs } : {}),
  });
  const metricRows = metrics
    .map(
      ([k, v]) =>
        `<tr${k === m ? ' class="objective"' : ''}><td>${escapeHtml(metricScale(k).name)} <code>${escapeHtml(k)}</code></td><td class="num">${escapeHtml(formatMetric(metricScale(k, [v]), v, true))}</td></tr>`,
    )
    .join('');
  const lut = typeof study.config.lut === 'string' ? study.config.lut : null;
  const layers = trialLayers(t.space ?? study.space, t.arch, lut);
  const facts: Array<[string, string]> = [
    ['State', `<span class="state ${t.state}" data-trial-state="${t.state}">${t.state}</span>`],
    ['Source', escapeHtml(t.source ?? '–')],
    ['Started', escapeHtml(formatDate(t.startedAt))],
    [
      'Finished',
      `${escapeHtml(formatDate(t.finishedAt))}${t.finishedAt ? ` (${escapeHtml(formatDuration(t.finishedAt - t.startedAt))})` : ''}`,
    ],
    ['Worker', escapeHtml(t.worker ?? '–')],
  ];
  if (t.space) facts.push(['Space', `<code>${escapeHtml(t.space)}</code>`]);
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<p><code id="arch">${escapeHtml(t.arch)}</code></p>
${t.error ? `<h2 id="error">Error</h2><pre class="error" id="trial-error">${escapeHtml(t.error)}</pre>` : ''}
<h2>Metrics</h2>${metricRows ? `<table id="metrics"><tbody>${metricRows}</tbody></table>` : '<p class="note">No metrics recorded.</p>'}
<h2 id="architecture">Architecture, layer by layer</h2>${'error' in layers ? `<p class="chart-error">${escapeHtml(layers.error)}</p>` : layersTable(layers)}
<h2 id="curves">Per-epoch curves</h2>${await epochCharts(t)}
<h2 id="recipe">Recipe</h2>${t.recipe ? `<pre class="config">${json(t.recipe)}</pre>` : '<p class="note">No recipe recorded (an evaluator without training).</p>'}${
    t.searchedRecipe ? `<p>Searched with the architecture:</p><pre class="config">${json(t.searchedRecipe)}</pre>` : ''
  }
<h2 id="artifacts">Files</h2>${filesList(study.name, files)}`;
}

export async function trialPage(
  store: string,
  study: StudyRecord,
  t: TrialRecord,
  files: readonly StudyFileEntry[],
  version: number,
): Promise<string> {
  const live: Record<string, string> =
    t.state === 'running' ? { events: eventsHref(study.name), version: String(version) } : {};
  return dashboardPage(
    { title: `${study.name} #${t.number}`, store, data: { page: 'trial', study: study.name, ...live } },
    `<h1><span class="kind">Trial</span> #${t.number} <span class="kind">of</span> <a href="${escapeHtml(studyHref(study.name))}">${escapeHtml(study.name)}</a></h1>
<section id="trial" data-live-src="${escapeHtml(fragmentHref(study.name, `trial/${t.number}`))}">${await trialFragment(study, t, files)}</section>`,
  );
}
