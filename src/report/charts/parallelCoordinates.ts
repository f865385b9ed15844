// Parallel coordinates over the layers' choices: one axis per dimension (in the space's order),
// each value a position on its axis (labelled), one line per complete trial through its choices,
// coloured by the objective; the best trials drawn last, on top. Hover a line for its trial.
import { formatMetric, metricScale } from '../metricScale';
import type { Direction } from '../pareto';
import type { ReportTrial } from '../types';
import { extent } from './axes';
import { hoverArch } from './hoverArch';
import { choiceDims } from './opFrequency';
import { thinPoints } from './thin';

export interface ParallelCoordinatesOptions {
  /** The metric that colours the lines, e.g. the objective. */
  metric: string;
  direction: Direction;
  /** Most lines drawn (the best 20 kept, the rest an even sample). Default 200. */
  maxTrials?: number;
  title?: string;
  subtitle?: string;
  height?: number;
}

/** A padded colour domain when every line has the same value (else Vega's own). */
function colorDomain(values: readonly number[]): { domain?: [number, number] } {
  const [lo, hi] = extent(values);
  return lo === hi ? { domain: [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)] } : {};
}

/** A Vega-Lite spec, or null when no complete trial carries its choices and the metric. */
export function parallelCoordinatesChart(
  trials: readonly ReportTrial[],
  opts: ParallelCoordinatesOptions,
): object | null {
  const { metric, direction } = opts;
  const sign = direction === 'maximize' ? 1 : -1;
  // Worst first, so that the best lines are drawn on top.
  const usable = trials
    .filter((t) => t.state === 'complete' && t.choices && Number.isFinite(t.metrics[metric]))
    .sort((a, b) => sign * (a.metrics[metric]! - b.metrics[metric]!) || b.number - a.number);
  if (!usable.length) return null;
  const best = new Set(usable.slice(-20));
  const shown = thinPoints(usable, opts.maxTrials ?? 200, (t) => best.has(t));
  const dims = choiceDims(shown.points);
  // Each dimension's values in order of first appearance by trial number: a stable axis.
  const byNumber = [...shown.points].sort((a, b) => a.number - b.number);
  const values = new Map(
    dims.map((d) => [d, [...new Set(byNumber.map((t) => t.choices![d]).filter((v) => v !== undefined))]]),
  );
  const pos = (d: string, v: string) => {
    const vs = values.get(d)!;
    return vs.length === 1 ? 0.5 : vs.indexOf(v) / (vs.length - 1);
  };
  const ms = metricScale(
    metric,
    shown.points.map((t) => t.metrics[metric]!),
  );
  // Points in axis order along each line; lines (groups) in the data's order, best last.
  const rows = shown.points.flatMap((t) =>
    dims
      .filter((d) => t.choices![d] !== undefined)
      .map((d) => ({
        trial: t.number,
        k: dims.indexOf(d),
        dim: d,
        y: pos(d, t.choices![d]!),
        value: t.metrics[metric]! * ms.factor,
        desc: `#${t.number} · ${ms.name} ${formatMetric(ms, t.metrics[metric], true)} · ${hoverArch(t.arch)}`,
      })),
  );
  const labels = dims.flatMap((d) => values.get(d)!.map((v) => ({ dim: d, y: pos(d, v), label: v })));
  const x = { field: 'dim', type: 'ordinal', sort: dims, title: null, axis: { labelAngle: -40, domain: false } };
  const y = { field: 'y', type: 'quantitative', axis: null, scale: { domain: [0, 1] } };
  const notes = [opts.subtitle, `${shown.points.length} complete trials, coloured by ${ms.name.toLowerCase()}`];
  if (shown.dropped) notes.push(`${shown.dropped} not drawn (even sample; the best 20 kept)`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: opts.title ?? 'Parallel coordinates over the layers’ choices',
      subtitle: notes.filter(Boolean).join(' · '),
    },
    width: { step: Math.max(34, Math.min(70, Math.floor(900 / Math.max(1, dims.length)))) },
    height: opts.height ?? 300,
    layer: [
      {
        data: { values: dims.map((d) => ({ dim: d })) },
        mark: { type: 'rule', color: '#ccc', aria: false },
        encoding: { x },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.3, opacity: 0.6 },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          order: { field: 'k', type: 'quantitative' },
          color: {
            field: 'value',
            type: 'quantitative',
            title: ms.title,
            legend: { format: `.${ms.decimals}f` },
            scale: { scheme: 'viridis', reverse: direction === 'minimize', ...colorDomain(rows.map((r) => r.value)) },
          },
          description: { field: 'desc' },
        },
      },
      {
        data: { values: labels },
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 9.5, color: '#333', aria: false },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  };
}
