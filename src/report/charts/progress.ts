// Search progress: the best value of the objective so far against trial number or wall time,
// every trial's value a faint point colored by source, each new best marked; optionally a
// baseline study's best-so-far (by trial number) as a grey dashed line.
import { bestSoFar, type BestSoFarPoint } from '../bestSoFar';
import { formatMetric, metricScale, nameInText } from '../metricScale';
import type { Direction } from '../pareto';
import { elapsedUnit } from '../time';
import type { ReportTrial } from '../types';
import { INTEGER_AXIS, axisScale, extent } from './axes';
import { BASELINE_COLOR, FRONT_COLOR, UNKNOWN_SOURCE, colorScale, sourcesOf } from './colors';
import { ARCH_ON_HOVER_UP_TO, hoverArch } from './hoverArch';
import { thinPoints } from './thin';

export interface ProgressOptions {
  metric: string;
  direction: Direction;
  /** x: the trial number, or the wall time since `origin` (from each trial's finishedAt). */
  by: 'trial' | 'time';
  /** Start of the time axis (ms since epoch); default the earliest startedAt/finishedAt. */
  origin?: number;
  /** A comparison study (by trial number only): its best-so-far as a grey dashed line. */
  baseline?: readonly ReportTrial[];
  baselineLabel?: string;
  sources?: readonly string[];
  title?: string;
  subtitle?: string;
  width?: number;
  height?: number;
  legend?: boolean;
  /** Most faint points drawn (new bests always drawn). Default 600. */
  maxPoints?: number;
}

const BEST = 'best so far';

/** A Vega-Lite spec of best-so-far, or null when no complete trial has the metric (and, by time, a finish time). */
export function bestSoFarChart(trials: readonly ReportTrial[], opts: ProgressOptions): object | null {
  const order = opts.by === 'trial' ? 'number' : 'finishedAt';
  const curve = bestSoFar(trials, opts.metric, opts.direction, order);
  if (!curve.length) return null;
  const baseLabel = `${opts.baselineLabel ?? 'baseline'} best`;
  const baseCurve = opts.by === 'trial' && opts.baseline ? bestSoFar(opts.baseline, opts.metric, opts.direction) : [];
  const ms = metricScale(
    opts.metric,
    [...curve, ...baseCurve].map((p) => p.value),
  );

  let origin = opts.origin;
  if (opts.by === 'time' && origin === undefined) {
    origin = extent(trials.flatMap((t) => [t.startedAt, t.finishedAt]))[0];
  }
  const unit = elapsedUnit(opts.by === 'time' ? curve[curve.length - 1]!.finishedAt! - origin! : 0);
  const xOf = (p: BestSoFarPoint): number => (opts.by === 'trial' ? p.number : (p.finishedAt! - origin!) / unit.ms);
  const xTitle = opts.by === 'trial' ? 'Trial number' : `Wall time since start (${unit.unit})`;

  const values = thinPoints(curve, opts.maxPoints ?? 600, (p) => p.improved);
  const archOf = new Map(trials.map((t) => [t.number, t.arch]));
  const withArch = values.points.length <= ARCH_ON_HOVER_UP_TO;
  const dots = values.points.map((p) => ({
    x: xOf(p),
    y: p.value * ms.factor,
    source: p.source ?? UNKNOWN_SOURCE,
    desc: `#${p.number} · ${p.source ?? UNKNOWN_SOURCE} · ${ms.name} ${formatMetric(ms, p.value, true)}${withArch ? ` · ${hoverArch(archOf.get(p.number) ?? '')}` : ''}`,
  }));
  const line = curve
    .filter((p) => p.improved)
    .map((p) => ({
      x: xOf(p),
      y: p.best * ms.factor,
      desc: `#${p.number}: new best, ${ms.name} ${formatMetric(ms, p.best, true)} · ${hoverArch(archOf.get(p.number) ?? '')}`,
    }));
  const lastX = xOf(curve[curve.length - 1]!);
  const stairs = [...line.map(({ x, y }) => ({ x, y }))];
  if (lastX > stairs[stairs.length - 1]!.x) stairs.push({ x: lastX, y: stairs[stairs.length - 1]!.y });
  const baseStairs = baseCurve.filter((p) => p.improved).map((p) => ({ x: p.number, y: p.best * ms.factor }));
  if (baseCurve.length && baseCurve[baseCurve.length - 1]!.number > baseStairs[baseStairs.length - 1]!.x) {
    const last = baseCurve[baseCurve.length - 1]!;
    baseStairs.push({ x: last.number, y: last.best * ms.factor });
  }

  const sources = opts.sources ? [...opts.sources] : sourcesOf(trials);
  const extra: Array<[string, string]> = [[BEST, FRONT_COLOR]];
  if (baseStairs.length) extra.push([baseLabel, BASELINE_COLOR]);
  const color = {
    scale: colorScale(sources, extra),
    title: null,
    legend: opts.legend === false ? null : { orient: 'bottom', direction: 'horizontal' },
  };
  const x = {
    field: 'x',
    type: 'quantitative',
    title: xTitle,
    ...(opts.by === 'trial' ? { axis: INTEGER_AXIS } : {}),
    scale: axisScale(
      [...dots, ...baseStairs].map((d) => d.x),
      { zero: opts.by === 'time' },
    ),
  };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: ms.title,
    scale: axisScale([...dots, ...baseStairs].map((d) => d.y)),
  };
  const best = curve[curve.length - 1]!;
  const notes = [
    opts.subtitle,
    `best ${formatMetric(ms, best.best, true)} (trial #${best.bestNumber}); ${line.length} improvement${line.length === 1 ? '' : 's'} over ${curve.length} trial${curve.length === 1 ? '' : 's'}`,
  ];
  if (values.dropped) notes.push(`${values.dropped} points not drawn`);

  const many = dots.length > 400;
  const layer: object[] = [
    {
      data: { values: dots },
      mark: { type: 'circle', size: many ? 12 : 22, opacity: many ? 0.3 : 0.4 },
      encoding: { x, y, color: { field: 'source', type: 'nominal', ...color }, description: { field: 'desc' } },
    },
  ];
  if (baseStairs.length) {
    layer.push({
      data: { values: baseStairs },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6, strokeDash: [5, 3], aria: false },
      encoding: { x, y, color: { datum: baseLabel, ...color } },
    });
  }
  layer.push(
    {
      data: { values: stairs },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, aria: false },
      encoding: { x, y, color: { datum: BEST, ...color } },
    },
    {
      data: { values: line },
      mark: { type: 'circle', size: 34, color: FRONT_COLOR, opacity: 1 },
      encoding: { x, y, description: { field: 'desc' } },
    },
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: opts.title ?? `Best-so-far ${nameInText(ms)} vs ${opts.by === 'trial' ? 'trials' : 'wall time'}`,
      subtitle: notes.filter(Boolean).join(' · '),
    },
    width: opts.width ?? 430,
    height: opts.height ?? 280,
    layer,
  };
}
