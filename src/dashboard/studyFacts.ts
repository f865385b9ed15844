// The few facts every view of a study leads with: its state, its counts, its best trial, how many
// processes search it and how old it is, as HTML (every value escaped).
import { escapeHtml } from '../report/escape';
import { formatMetric, metricScale, nameInText } from '../report/metricScale';
import { formatDate, formatDuration } from '../report/time';
import type { ReportTrial } from '../report/types';
import type { StudyRecord } from '../study/types';
import { studyState, type StudyStamp } from './studyStamp';

export const studyHref = (name: string): string => `/study/${encodeURIComponent(name)}`;
export const trialHref = (name: string, n: number): string => `${studyHref(name)}/trial/${n}`;

/** The study's target of complete trials, when its configuration has one. */
export function trialTarget(study: StudyRecord): number | null {
  const t = (study.config as { trials?: unknown }).trials;
  return typeof t === 'number' ? t : null;
}

export function stateBadge(stamp: StudyStamp, study: StudyRecord): string {
  const s = studyState(stamp, trialTarget(study));
  const cls = { running: 'running', finished: 'complete', stopped: 'pruned', interrupted: 'failed' }[s];
  return `<span class="state ${cls}" data-study-state="${s}">${s}</span>`;
}

export function countsHtml(stamp: StudyStamp, study: StudyRecord): string {
  const target = trialTarget(study);
  return (
    `<span class="state complete" data-count="complete">${stamp.complete}${target !== null ? ` of ${target}` : ''} done</span>` +
    `<span class="state running" data-count="running">${stamp.running} running</span>` +
    `<span class="state failed" data-count="failed">${stamp.failed} failed</span>` +
    (stamp.pruned ? `<span class="state pruned" data-count="pruned">${stamp.pruned} pruned</span>` : '')
  );
}

/** 'maximize accuracy 91.23%, trial #12' with a link, or '–'. */
export function bestHtml(study: StudyRecord, best: ReportTrial | null, values: readonly number[]): string {
  if (!best) return '–';
  const scale = metricScale(study.objective.metric, values);
  return `<a href="${escapeHtml(trialHref(study.name, best.number))}">${escapeHtml(formatMetric(scale, best.metrics[study.objective.metric], true))} ${escapeHtml(nameInText(scale))}, trial #${best.number}</a>`;
}

export function ageHtml(study: StudyRecord, stamp: StudyStamp, now = Date.now()): string {
  const last = stamp.lastActivity ? `; last trial activity ${formatDuration(now - stamp.lastActivity)} ago` : '';
  return `<span title="${escapeHtml(formatDate(study.createdAt))}">${escapeHtml(formatDuration(now - study.createdAt))}${escapeHtml(last)}</span>`;
}

/** The best complete trial by the objective (ties: the earlier), or null. */
export function bestOf(study: StudyRecord, trials: readonly ReportTrial[]): ReportTrial | null {
  const m = study.objective.metric;
  const sign = study.objective.direction === 'maximize' ? 1 : -1;
  let best: ReportTrial | null = null;
  for (const t of trials)
    if (
      t.state === 'complete' &&
      Number.isFinite(t.metrics[m]) &&
      (!best || sign * (t.metrics[m]! - best.metrics[m]!) > 0)
    )
      best = t;
  return best;
}
