// The first page: every study of the store with its state, method, space, trial counts, best
// result, live processes and age. The table is a fragment the page fetches again when any study changes.
import { escapeHtml } from '../report/escape';
import { describeEvaluator } from '../search/studyReport';
import type { StudyRecord } from '../study/types';
import { dashboardPage } from './layout';
import { ageHtml, bestHtml, bestOf, countsHtml, stateBadge, studyHref } from './studyFacts';
import type { StudyViews } from './studyView';

export const STUDIES_FRAGMENT = '/fragment/studies';
export const STUDIES_EVENTS = '/events/studies';

export function studiesTable(studies: readonly StudyRecord[], views: StudyViews): string {
  if (!studies.length)
    return '<p class="empty" id="no-studies">This store has no studies yet. A search started on it shows up here.</p>';
  const rows = studies.map((s) => {
    const { stamp, trials } = views.trials(s);
    const m = s.objective.metric;
    return (
      `<tr data-study="${escapeHtml(s.name)}"><td class="name"><a href="${escapeHtml(studyHref(s.name))}">${escapeHtml(s.name)}</a></td>` +
      `<td>${stateBadge(stamp, s)}</td><td>${escapeHtml(s.strategy)}</td><td><code>${escapeHtml(s.space)}</code></td>` +
      `<td>${escapeHtml(describeEvaluator(s))}</td><td class="counts">${countsHtml(stamp, s)}</td>` +
      `<td>${bestHtml(
        s,
        bestOf(s, trials),
        trials.map((t) => t.metrics[m]!),
      )}</td><td class="num" data-workers>${stamp.workers}</td><td>${ageHtml(s, stamp)}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table class="studies" id="studies"><thead><tr><th>study</th><th>state</th><th>strategy</th><th>space</th>` +
    `<th>evaluator</th><th>trials</th><th>best</th><th class="num">workers alive</th><th>age</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}

export function studiesPage(store: string, studies: readonly StudyRecord[], views: StudyViews): string {
  return dashboardPage(
    { title: 'Studies', store, data: { page: 'studies', events: STUDIES_EVENTS } },
    `<h1><span class="kind">Studies of</span> ${escapeHtml(store)}</h1>
<p class="lede">Updated live as trials start and finish. Open a study for its charts and trials; <a href="/compare">compare</a> studies on one accuracy–cost plane.</p>
<section id="studies-live" data-live-src="${STUDIES_FRAGMENT}">${studiesTable(studies, views)}</section>`,
  );
}
