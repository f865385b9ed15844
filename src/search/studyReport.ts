// A study as report data (src/report/types.ts): what `tsnas study report` hands the renderer.
// Costs join the metrics (flops, params, latencyUs), so the report can plot accuracy against them.
// Views of the study's own method come from two places: sections its strategy stored while it
// searched (REPORT_SECTIONS, e.g. FBNet's per-layer distributions, shown even while it runs) and
// sections its plug-in builds now from the finished trials and the baseline (reportSections hook).
import type { ReportData, ReportTrial } from '../report/types';
import type { StudyStore } from '../study/store';
import type { StudyRecord, TrialRecord } from '../study/types';
import { getStrategy, strategyNames } from './registry';
import { studyConfig } from './studyConfig';
import { REPORT_SECTIONS } from './strategyPlugin';
import { FINAL_TRAINING, summarizeFinalNetworks } from './finalTraining';
import { finalTrainingSection } from './finalTrainingReport';
import { FINAL_NETWORK, type FinalNetwork } from './finalNetwork';
import { escapeHtml } from '../report/escape';
import { formatLatencyUs } from '../report/formatNumber';
import { dataSetClasses } from '../data/dataSource';
import { loadSpace } from '../space/registry';
import type { Space } from '../space/types';
import { studyChanceNote } from '../train/chanceNote';

/**
 * An architecture's choices by dimension: the canonical string's tokens ('/' between groups, '-'
 * inside them) are the searched dimensions in order (archFormat.ts), so they pair with the space's
 * `searchDims`; undefined when they do not (a string of another space).
 */
export function archChoices(space: Space, arch: string): Record<string, string> | undefined {
  const dims = space.searchDims;
  if (!dims.length) return undefined;
  const tokens = arch.split('/').flatMap((g) => g.split('-'));
  if (tokens.length !== dims.length) return undefined;
  return Object.fromEntries(dims.map((d, i) => [d.key, tokens[i]!]));
}

/** The space a trial was drawn from, or null when it cannot be loaded here (a moved space file). */
function spaceLoader(studySpace: string): (t: TrialRecord) => Space | null {
  const loaded = new Map<string, Space | null>();
  return (t) => {
    const name = t.space ?? studySpace;
    if (!loaded.has(name)) {
      try {
        loaded.set(name, loadSpace(name));
      } catch {
        loaded.set(name, null); // the report still shows everything but the choices
      }
    }
    return loaded.get(name)!;
  };
}

export function reportTrial(t: TrialRecord, space?: Space | null): ReportTrial {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(t.metrics)) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
  if (t.costs.flops !== null) metrics.flops = t.costs.flops;
  if (t.costs.params !== null) metrics.params = t.costs.params;
  if (t.costs.latencyUs !== null) metrics.latencyUs = t.costs.latencyUs;
  return {
    number: t.number,
    state: t.state,
    arch: t.arch,
    source: t.source,
    metrics,
    epochs: t.epochs.map((e) =>
      Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))),
    ),
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    error: t.error,
    ...(space ? { choices: archChoices(space, t.arch) } : {}),
  };
}

/** How a study evaluates, for people. */
export function describeEvaluator(s: StudyRecord): string {
  if (s.evaluator === 'train') {
    const t = (s.config.train ?? {}) as { epochs?: number | null; limitTrain?: number | null };
    const budget = [
      t.epochs ? `${t.epochs} epoch${t.epochs === 1 ? '' : 's'}` : '',
      t.limitTrain ? `${t.limitTrain} training images` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `training on ${s.data}${budget ? ` (${budget})` : ''}`;
  }
  return s.evaluator;
}

export function buildReportData(store: StudyStore, study: StudyRecord, o: { baseline?: StudyRecord } = {}): ReportData {
  const spaceOf = spaceLoader(study.space);
  const data: ReportData = {
    study: {
      name: study.name,
      strategy: study.strategy,
      space: study.space,
      evaluator: describeEvaluator(study),
      objective: study.objective,
      constraints: study.constraints,
      createdAt: study.createdAt,
      seed: study.seed,
      config: study.config,
    },
    trials: store.trials(study.id).map((t) => reportTrial(t, spaceOf(t))),
  };
  // A study whose every trial sits at chance level says so first.
  const chance =
    study.evaluator === 'train' && study.data
      ? studyChanceNote(data.trials, study.objective.metric, dataSetClasses(study.data))
      : null;
  if (chance) data.warnings = [chance];
  const stored = store.getState(study.id, REPORT_SECTIONS);
  const sections = Array.isArray(stored) ? [...stored] : [];
  if (o.baseline) data.baseline = store.trials(o.baseline.id).map((t) => reportTrial(t));
  // A study of a strategy this tsnas does not know still reports its trials and stored views.
  const plugin = strategyNames().includes(study.strategy) ? getStrategy(study.strategy) : null;
  if (plugin?.reportSections) {
    sections.push(
      ...plugin.reportSections({
        study,
        config: studyConfig(study),
        trials: data.trials,
        baseline: data.baseline,
        state: (key) => store.getState(study.id, key),
      }),
    );
  }
  // The final network re-measured in the latency table's runtime, beside the table's prediction
  // (a method with its own finalize hook shows it in its own sections).
  const final = store.getState(study.id, FINAL_NETWORK);
  if (final && !plugin?.finalize) sections.push(finalNetworkSection(final));
  // A final training (any strategy's): a section, and its networks as marks on the trade-off chart.
  const trained = store.getState(study.id, FINAL_TRAINING);
  if (trained?.networks.length) {
    sections.unshift(finalTrainingSection(trained));
    data.marks = {
      note: [
        `squares, triangles: the result and the references after the final training (their ${study.objective.metric} is test accuracy)`,
        ...trained.comparisons.map((c) => c.text),
      ],
      // One mark per network: its mean test accuracy over its runs.
      networks: (trained.summaries ?? summarizeFinalNetworks(trained.networks))
        .filter((n) => n.meanTestAcc !== null)
        .map((n) => ({
          label: `${n.name} (final${n.testAccs.length > 1 ? `, mean of ${n.testAccs.length} runs` : ''})`,
          kind: n.role,
          arch: n.arch,
          metrics: Object.fromEntries(
            [
              [study.objective.metric, n.meanTestAcc],
              ['latencyUs', n.tableLatencyUs],
              ['flops', n.flops],
              ['params', n.params],
            ].filter((e): e is [string, number] => e[1] !== null),
          ),
        })),
    };
  }
  if (sections.length) data.sections = sections;
  return data;
}

const us = formatLatencyUs;

/** The chosen network: what the table predicted and what its runtime measured. */
export function finalNetworkSection(f: FinalNetwork): { title: string; html: string } {
  const err =
    f.tableLatencyUs !== null && f.measuredLatencyUs
      ? ` (the table ${f.tableLatencyUs >= f.measuredLatencyUs ? 'over' : 'under'}estimates by ${((100 * Math.abs(f.tableLatencyUs - f.measuredLatencyUs)) / f.measuredLatencyUs).toFixed(1)}%)`
      : '';
  return {
    title: 'Final network, measured in the table’s runtime',
    html:
      `<p>Trial #${f.trial}${f.source ? ` (${escapeHtml(f.source)})` : ''}: table latency ${us(f.tableLatencyUs)}, ` +
      `measured ${us(f.measuredLatencyUs)}${f.measuredP25Us !== null && f.measuredP75Us !== null ? ` (quartiles ${us(f.measuredP25Us)} - ${us(f.measuredP75Us)})` : ''}${err}.</p>` +
      `<p><code>${escapeHtml(f.arch)}</code></p>` +
      (f.measuredWith ? `<p class="note">Measured: ${escapeHtml(f.measuredWith)}.</p>` : ''),
  };
}
