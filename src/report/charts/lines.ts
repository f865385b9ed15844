// A generic line chart: named series of (x, y) points, e.g. expected latency against epochs,
// with optional horizontal reference lines (e.g. a latency target).
import { PALETTE } from '../vegaSvg';
import { axisScale } from './axes';

export interface LineSeries {
  name: string;
  points: ReadonlyArray<{ x: number; y: number }>;
  color?: string;
  dashed?: boolean;
}

export interface LineOptions {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  /** Log scale when the values span more than 10x. */
  xLog?: boolean;
  yLog?: boolean;
  /** Include zero in the y domain. Default false. */
  yZero?: boolean;
  /** Draw the points too. Default true when a series has at most 60 points. */
  points?: boolean;
  interpolate?: 'linear' | 'step-after' | 'monotone';
  /** Horizontal reference lines, e.g. `{ y: 1200, label: 'target 1.2 ms' }`. */
  rules?: ReadonlyArray<{ y: number; label: string }>;
  width?: number;
  height?: number;
  legend?: boolean;
}

/** A Vega-Lite spec; non-finite points are left out. */
export function lineChart(series: readonly LineSeries[], opts: LineOptions): object {
  const rows = series.flatMap((s) =>
    s.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .map((p) => ({
        x: p.x,
        y: p.y,
        series: s.name,
        desc: `${s.name} · ${opts.xTitle} ${p.x} · ${opts.yTitle} ${+p.y.toPrecision(4)}`,
      })),
  );
  const names = series.map((s) => s.name);
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!);
  const rules = (opts.rules ?? []).filter((r) => Number.isFinite(r.y));
  const showPoints = opts.points ?? series.every((s) => s.points.length <= 60);
  const x = {
    field: 'x',
    type: 'quantitative',
    title: opts.xTitle,
    scale: axisScale(
      rows.map((r) => r.x),
      { allowLog: opts.xLog },
    ),
  };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: opts.yTitle,
    scale: axisScale([...rows.map((r) => r.y), ...rules.map((r) => r.y)], { allowLog: opts.yLog, zero: opts.yZero }),
  };
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: names, range: colors },
    legend:
      opts.legend === false || (opts.legend === undefined && series.length < 2)
        ? null
        : { orient: 'bottom', direction: 'horizontal', symbolType: 'stroke' },
  };
  const dashed = names.filter((_, i) => series[i]!.dashed);
  const layer: object[] = [
    {
      data: { values: rows },
      mark: {
        type: 'line',
        interpolate: opts.interpolate ?? 'linear',
        strokeWidth: 2,
        point: showPoints ? { size: 28 } : false,
      },
      encoding: {
        x,
        y,
        color,
        description: { field: 'desc' },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          legend: null,
          scale: { domain: names, range: names.map((n) => (dashed.includes(n) ? [5, 3] : [1, 0])) },
        },
      },
    },
  ];
  if (rules.length) {
    layer.push(
      {
        data: { values: rules },
        mark: { type: 'rule', color: '#888', strokeDash: [3, 3], aria: false },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rules },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, fontSize: 10.5, color: '#555', aria: false },
        encoding: {
          y: { field: 'y', type: 'quantitative' },
          x: { value: opts.width ?? 440 },
          text: { field: 'label' },
        },
      },
    );
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: opts.width ?? 440,
    height: opts.height ?? 260,
    layer,
  };
}
