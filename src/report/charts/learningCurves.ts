// Learning curves: one line per trial over its stored epochs (validation accuracy by default),
// coloured by source, the best trials by the objective always drawn. Hover a line for its trial.
import { formatMetric, metricScale, nameInText } from '../metricScale';
import type { Direction } from '../pareto';
import type { ReportTrial } from '../types';
import { INTEGER_AXIS, axisScale } from './axes';
import { UNKNOWN_SOURCE, colorScale, sourcesOf } from './colors';
import { hoverArch } from './hoverArch';
import { thinPoints } from './thin';

/** Epoch metrics in order of preference for the y axis. */
export const CURVE_METRICS = ['valAcc', 'trainAcc', 'valLoss', 'loss'];

export interface LearningCurvesOptions {
  /** The epoch metric on y (e.g. 'valAcc', 'valLoss'); default the first of CURVE_METRICS the epochs hold. */
  metric?: string;
  /** How trials rank: the best ones are always drawn when there are more than `maxTrials`. */
  objective?: { metric: string; direction: Direction };
  /** Colour order of sources, to match other charts. */
  sources?: readonly string[];
  /** Most trials drawn (the best 10 by the objective kept, the rest an even sample). Default 60. */
  maxTrials?: number;
  title?: string;
  width?: number;
  height?: number;
  legend?: boolean;
}

const hasMetric = (t: ReportTrial, metric: string) => t.epochs.some((e) => Number.isFinite(e[metric]));

/** The epoch metric a learning-curve chart draws by default, or null when no trial stored epochs. */
export function curveMetric(trials: readonly ReportTrial[]): string | null {
  return CURVE_METRICS.find((m) => trials.some((t) => hasMetric(t, m))) ?? null;
}

/** A Vega-Lite spec of the trials' curves, or null when no trial has an epoch with the metric. */
export function learningCurvesChart(trials: readonly ReportTrial[], opts: LearningCurvesOptions = {}): object | null {
  const metric = opts.metric ?? curveMetric(trials);
  if (!metric) return null;
  const withCurve = trials.filter((t) => hasMetric(t, metric)).sort((a, b) => a.number - b.number);
  if (!withCurve.length) return null;
  const obj = opts.objective;
  const best = new Set(
    obj
      ? withCurve
          .filter((t) => Number.isFinite(t.metrics[obj.metric]))
          .sort((a, b) => (obj.direction === 'maximize' ? -1 : 1) * (a.metrics[obj.metric]! - b.metrics[obj.metric]!))
          .slice(0, 10)
      : [],
  );
  const shown = thinPoints(withCurve, opts.maxTrials ?? 60, (t) => best.has(t));
  const ys = metricScale(
    metric,
    shown.points.flatMap((t) => t.epochs.map((e) => e[metric]!)),
  );
  const rows = shown.points.flatMap((t) =>
    t.epochs
      .map((e, i) => ({ e, epoch: Number.isFinite(e.epoch) ? e.epoch! : i + 1 }))
      .filter(({ e }) => Number.isFinite(e[metric]))
      .map(({ e, epoch }) => ({
        trial: t.number,
        source: t.source ?? UNKNOWN_SOURCE,
        epoch,
        y: e[metric]! * ys.factor,
        // A line's hover text is its first point's: the trial and its architecture; a point's, its epoch.
        desc: `#${t.number} · ${t.source ?? UNKNOWN_SOURCE} · ${hoverArch(t.arch)}`,
        point: `#${t.number} · epoch ${epoch} · ${ys.name} ${formatMetric(ys, e[metric], true)}`,
      })),
  );
  const longest = Math.max(...shown.points.map((t) => t.epochs.length));
  // Points on the lines while they stay readable (and the file small).
  const points = longest <= 30 && shown.points.length <= 20;
  const sources = opts.sources ? [...opts.sources] : sourcesOf(shown.points);
  const notes = [
    shown.dropped
      ? `${shown.points.length} of ${withCurve.length} trials with stored epochs (an even sample; the best 10 kept)`
      : `${withCurve.length} trial${withCurve.length === 1 ? '' : 's'} with stored epochs`,
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title ?? `Learning curves: ${nameInText(ys)} per epoch`, subtitle: notes.join(' · ') },
    width: opts.width ?? 430,
    height: opts.height ?? 280,
    data: { values: rows },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: 'Epoch',
        axis: INTEGER_AXIS,
        scale: axisScale(rows.map((r) => r.epoch)),
      },
      y: { field: 'y', type: 'quantitative', title: ys.title, scale: axisScale(rows.map((r) => r.y)) },
      color: {
        field: 'source',
        type: 'nominal',
        title: 'source',
        scale: colorScale(sources),
        legend: opts.legend === false ? null : { orient: 'bottom', direction: 'horizontal' },
      },
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.4, opacity: 0.75 },
        encoding: { detail: { field: 'trial', type: 'nominal' }, description: { field: 'desc' } },
      },
      ...(points
        ? [{ mark: { type: 'circle', size: 18, opacity: 0.9 }, encoding: { description: { field: 'point' } } }]
        : []),
    ],
  };
}
