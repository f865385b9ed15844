// The trade-off chart: an objective (accuracy) against a cost (latency, MACs, params), every
// complete trial a point colored by its source, the Pareto front drawn as a staircase with
// its points ringed and numbered, and a baseline study's trials in grey behind.
import { formatMetric, metricScale, nameInText, type MetricScale } from '../metricScale';
import { paretoFront, type Direction } from '../pareto';
import type { ReportMark, ReportTrial } from '../types';
import { axisScale, extent } from './axes';
import { BASELINE_COLOR, FRONT_COLOR, UNKNOWN_SOURCE, colorScale, sourcesOf } from './colors';
import { ARCH_ON_HOVER_UP_TO, hoverArch } from './hoverArch';
import { thinPoints } from './thin';

export interface TradeoffOptions {
  /** The cost metric on x, e.g. 'latencyUs', 'flops', 'params'. */
  x: string;
  /** The objective metric on y, e.g. 'accuracy'. */
  y: string;
  yDirection: Direction;
  /** Default 'minimize' (a cost). */
  xDirection?: Direction;
  /** Trials of a comparison study, drawn in grey behind. */
  baseline?: readonly ReportTrial[];
  /** Legend label of the baseline. Default 'baseline'. */
  baselineLabel?: string;
  /** Color order of sources, to match other charts. Default: the sources of `trials`. */
  sources?: readonly string[];
  title?: string;
  /** Extra line under the title; the chart adds its own notes (points left out, log scale). */
  subtitle?: string;
  width?: number;
  height?: number;
  legend?: boolean;
  /** Most trial points drawn (front points always drawn; the rest an even sample). Default 1000. */
  maxPoints?: number;
  /** Most baseline points drawn. Default half of maxPoints. */
  maxBaselinePoints?: number;
  /** Number the front points ('#12') when there are at most this many. Default 15. */
  labelFrontUpTo?: number;
  /** Trials to single out (e.g. the architecture a search finally chose): drawn as labelled diamonds. */
  highlight?: readonly number[];
  /** The legend and label text of highlighted trials. Default 'selected'. */
  highlightLabel?: string;
  /** A highlighted trial's own label (default: highlightLabel and its number, 'selected #12'). */
  highlightText?: (t: ReportTrial) => string;
  /** Networks from outside the trials (a final training), drawn as labelled squares (result) and triangles (reference). */
  marks?: readonly ReportMark[];
  /** What the marks are (and how they compare), lines under the other notes. */
  marksNote?: readonly string[];
}

interface Row {
  trial: number;
  source: string;
  x: number;
  y: number;
  front: boolean;
  desc: string;
}

/** Complete trials with finite values of both metrics. */
export function plottable(trials: readonly ReportTrial[], x: string, y: string): ReportTrial[] {
  return trials.filter((t) => t.state === 'complete' && Number.isFinite(t.metrics[x]) && Number.isFinite(t.metrics[y]));
}

function describe(t: ReportTrial, xs: MetricScale, ys: MetricScale, withArch: boolean, tag = ''): string {
  const parts = [
    `#${t.number}${tag}`,
    t.source ?? UNKNOWN_SOURCE,
    `${ys.name} ${formatMetric(ys, t.metrics[ys.metric], true)}`,
    `${xs.name} ${formatMetric(xs, t.metrics[xs.metric], true)}`,
  ];
  if (withArch) parts.push(hoverArch(t.arch));
  return parts.join(' · ');
}

/**
 * The front points that get a '#n' label: greedily, skipping any closer than about a label's
 * size (4% of the x range, 5% of the y range) to one already labelled, so labels do not overlap.
 */
function spacedLabels(front: Row[], logX: boolean, all: Row[]): Row[] {
  const fx = (v: number) => (logX ? Math.log10(v) : v);
  const [x0, x1] = extent(all.map((r) => fx(r.x)));
  const [y0, y1] = extent(all.map((r) => r.y));
  const dx = (x1 - x0) * 0.04 || 1;
  const dy = (y1 - y0) * 0.05 || 1;
  const kept: Row[] = [];
  for (const r of [...front].sort((a, b) => b.y - a.y)) {
    if (kept.every((k) => Math.abs(fx(k.x) - fx(r.x)) > dx || Math.abs(k.y - r.y) > dy)) kept.push(r);
  }
  return kept;
}

/** A Vega-Lite spec of `y` against `x`, or null when no complete trial has both. */
export function tradeoffChart(trials: readonly ReportTrial[], opts: TradeoffOptions): object | null {
  const xDirection = opts.xDirection ?? 'minimize';
  const main = plottable(trials, opts.x, opts.y);
  if (!main.length) return null;
  const base = plottable(opts.baseline ?? [], opts.x, opts.y);
  const all = [...main, ...base];
  const xs = metricScale(
    opts.x,
    all.map((t) => t.metrics[opts.x]!),
  );
  const ys = metricScale(
    opts.y,
    all.map((t) => t.metrics[opts.y]!),
  );
  const front = new Set(
    paretoFront(main, {
      x: (t) => t.metrics[opts.x]!,
      y: (t) => t.metrics[opts.y]!,
      xDirection,
      yDirection: opts.yDirection,
    }),
  );
  const maxPoints = opts.maxPoints ?? 1000;
  const shown = thinPoints(main, maxPoints, (t) => front.has(t));
  const shownBase = thinPoints(base, opts.maxBaselinePoints ?? Math.ceil(maxPoints / 2));
  const row = (t: ReportTrial, isFront: boolean, desc: string): Row => ({
    trial: t.number,
    source: t.source ?? UNKNOWN_SOURCE,
    x: t.metrics[opts.x]! * xs.factor,
    y: t.metrics[opts.y]! * ys.factor,
    front: isFront,
    desc,
  });
  // The architecture on hover: on every point of a chart of up to ARCH_ON_HOVER_UP_TO points; on the
  // front's (drawn again, ringed) always.
  const withArch = shown.points.length <= ARCH_ON_HOVER_UP_TO;
  const points = shown.points.map((t) => row(t, front.has(t), describe(t, xs, ys, withArch)));
  const frontRows = [...front].map((t) => row(t, true, describe(t, xs, ys, true, ' (Pareto front)')));
  const baseLabel = opts.baselineLabel ?? 'baseline';
  const baseRows = shownBase.points.map((t) => row(t, false, ''));
  const markRows = (opts.marks ?? [])
    .filter((m) => Number.isFinite(m.metrics[opts.x]) && Number.isFinite(m.metrics[opts.y]))
    .map((m) => ({
      x: m.metrics[opts.x]! * xs.factor,
      y: m.metrics[opts.y]! * ys.factor,
      kind: m.kind,
      label: m.label,
      desc: `${m.label} · ${ys.name} ${formatMetric(ys, m.metrics[opts.y], true)} · ${xs.name} ${formatMetric(xs, m.metrics[opts.x], true)} · ${m.arch}`,
    }));

  // The staircase: from each front point along x to the next, carried on to the edge of the data.
  const stairs = frontRows.map((r) => ({ x: r.x, y: r.y }));
  const xsAll = [...points, ...baseRows].map((r) => r.x);
  if (stairs.length) {
    if (xDirection === 'minimize') {
      const maxX = extent(xsAll)[1];
      if (maxX > stairs[stairs.length - 1]!.x) stairs.push({ x: maxX, y: stairs[stairs.length - 1]!.y });
    } else {
      const minX = extent(xsAll)[0];
      if (minX < stairs[0]!.x) stairs.unshift({ x: minX, y: stairs[0]!.y });
    }
  }

  const xScale = axisScale([...xsAll, ...markRows.map((r) => r.x)], { allowLog: true });
  const yScale = axisScale([...points, ...baseRows, ...markRows].map((r) => r.y));
  const sources = opts.sources ? [...opts.sources] : sourcesOf(main);
  const extra: Array<[string, string]> = [['Pareto front', FRONT_COLOR]];
  if (baseRows.length) extra.push([baseLabel, BASELINE_COLOR]);
  const color = { scale: colorScale(sources, extra), title: 'source', legend: opts.legend === false ? null : {} };

  const notes: string[] = [];
  if (opts.subtitle) notes.push(opts.subtitle);
  notes.push(
    `${front.size} of ${main.length} trials on the front (${opts.yDirection === 'maximize' ? 'higher' : 'lower'} ${nameInText(ys)}, ${xDirection === 'minimize' ? 'lower' : 'higher'} ${nameInText(xs)})`,
  );
  if (xScale.type === 'log') notes.push('log x');
  if (shown.dropped || shownBase.dropped)
    notes.push(`${shown.dropped + shownBase.dropped} points not drawn (even sample; front kept)`);

  const many = points.length > 400;
  const x = { field: 'x', type: 'quantitative', title: xs.title, scale: xScale };
  const y = { field: 'y', type: 'quantitative', title: ys.title, scale: yScale };
  const layer: object[] = [];
  if (baseRows.length) {
    layer.push({
      data: { values: baseRows },
      mark: { type: 'circle', size: many ? 14 : 26, opacity: 0.55, aria: false },
      encoding: { x, y, color: { datum: baseLabel, ...color } },
    });
  }
  layer.push(
    {
      data: { values: points },
      mark: { type: 'circle', size: many ? 16 : 36, opacity: many ? 0.5 : 0.75 },
      encoding: { x, y, color: { field: 'source', type: 'nominal', ...color }, description: { field: 'desc' } },
    },
    {
      data: { values: stairs },
      mark: {
        type: 'line',
        interpolate: xDirection === 'minimize' ? 'step-after' : 'step-before',
        strokeWidth: 1.6,
        aria: false,
      },
      encoding: { x, y, color: { datum: 'Pareto front', ...color } },
    },
    {
      data: { values: frontRows },
      mark: { type: 'point', shape: 'circle', size: 110, strokeWidth: 1.6, color: FRONT_COLOR, opacity: 1 },
      encoding: { x, y, description: { field: 'desc' } },
    },
  );
  const highlight = new Set(opts.highlight ?? []);
  const highlightLabel = opts.highlightLabel ?? 'selected';
  const picked = main
    .filter((t) => highlight.has(t.number))
    .map((t) => ({
      ...row(t, front.has(t), describe(t, xs, ys, true, ` (${highlightLabel})`)),
      label: opts.highlightText ? opts.highlightText(t) : `${highlightLabel} #${t.number}`,
    }));
  if (picked.length) {
    layer.push(
      {
        data: { values: picked },
        mark: {
          type: 'point',
          shape: 'diamond',
          size: 190,
          filled: true,
          strokeWidth: 1.5,
          stroke: FRONT_COLOR,
          opacity: 1,
        },
        encoding: {
          x,
          y,
          fill: { field: 'source', type: 'nominal', scale: color.scale, legend: null },
          description: { field: 'desc' },
        },
      },
      {
        data: { values: picked },
        mark: {
          type: 'text',
          align: 'left',
          dx: 9,
          dy: 11,
          fontSize: 10.5,
          fontWeight: 600,
          color: FRONT_COLOR,
          aria: false,
        },
        encoding: { x, y, text: { field: 'label' } },
      },
    );
  }
  if (markRows.length) {
    layer.push(
      {
        data: { values: markRows },
        mark: { type: 'point', filled: true, size: 170, stroke: FRONT_COLOR, strokeWidth: 1.2, opacity: 1 },
        encoding: {
          x,
          y,
          shape: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: ['result', 'reference'], range: ['square', 'triangle-up'] },
            legend: null,
          },
          fill: {
            field: 'kind',
            type: 'nominal',
            scale: { domain: ['result', 'reference'], range: ['#d62728', '#7f7f7f'] },
            legend: null,
          },
          description: { field: 'desc' },
        },
      },
      {
        data: { values: markRows },
        mark: {
          type: 'text',
          align: 'left',
          dx: 10,
          dy: -8,
          fontSize: 10.5,
          fontWeight: 600,
          color: FRONT_COLOR,
          aria: false,
        },
        encoding: { x, y, text: { field: 'label' } },
      },
    );
  }
  if (frontRows.length <= (opts.labelFrontUpTo ?? 15)) {
    layer.push({
      data: {
        values: spacedLabels(frontRows, xScale.type === 'log', [...points, ...baseRows]).map((r) => ({
          ...r,
          label: `#${r.trial}`,
        })),
      },
      mark: { type: 'text', align: 'right', dx: -7, dy: -7, fontSize: 10, color: '#333', aria: false },
      encoding: { x, y, text: { field: 'label' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: opts.title ?? `${ys.name} vs ${nameInText(xs)}: Pareto front`,
      subtitle: markRows.length && opts.marksNote?.length ? [notes.join(' · '), ...opts.marksNote] : notes.join(' · '),
    },
    width: opts.width ?? 620,
    height: opts.height ?? 380,
    layer,
  };
}
