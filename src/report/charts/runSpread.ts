// Repeated runs of a few subjects on one chart: one row per subject (e.g. a network trained K
// times with different seeds), a dot per run, the mean as a bar across the row and a line over
// the runs' range, so that a difference of means can be read against the spread of the runs.
import { PALETTE } from '../vegaSvg';
import { axisScale } from './axes';

export interface RunGroup {
  name: string;
  /** One value per run (non-finite ones are left out). */
  values: readonly number[];
  /** Labels of the runs, e.g. their seeds (same order as `values`). */
  runLabels?: readonly string[];
  color?: string;
}

export interface RunSpreadOptions {
  title: string;
  subtitle?: string;
  /** The values' axis, e.g. 'test accuracy (%)'. */
  valueTitle: string;
  width?: number;
}

/** A Vega-Lite spec: a row per group, its runs as dots, its mean as a tick, its range as a line. */
export function runSpreadChart(groups: readonly RunGroup[], opts: RunSpreadOptions): object {
  const names = groups.map((g) => g.name);
  const colors = groups.map((g, i) => g.color ?? PALETTE[i % PALETTE.length]!);
  const runs = groups.flatMap((g) =>
    g.values
      .map((v, i) => ({ group: g.name, value: v, run: g.runLabels?.[i] ?? `run ${i + 1}` }))
      .filter((r) => Number.isFinite(r.value))
      .map((r) => ({ ...r, desc: `${r.group} · ${r.run} · ${opts.valueTitle} ${+r.value.toPrecision(5)}` })),
  );
  const stats = groups
    .map((g) => {
      const v = g.values.filter(Number.isFinite);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return {
        group: g.name,
        mean,
        min: Math.min(...v),
        max: Math.max(...v),
        n: v.length,
        desc: `${g.name} · mean of ${v.length} run${v.length === 1 ? '' : 's'} ${+mean.toPrecision(5)}`,
      };
    })
    .filter((s) => s.n > 0);
  const x = {
    field: 'value',
    type: 'quantitative',
    title: opts.valueTitle,
    scale: axisScale(runs.map((r) => r.value)),
  };
  const y = { field: 'group', type: 'nominal', title: null, sort: names };
  const color = { field: 'group', type: 'nominal', scale: { domain: names, range: colors }, legend: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: opts.width ?? 440,
    height: { step: 34 },
    layer: [
      {
        data: { values: stats },
        mark: { type: 'rule', strokeWidth: 2, opacity: 0.5 },
        encoding: { x: { ...x, field: 'min' }, x2: { field: 'max' }, y, color },
      },
      {
        data: { values: stats },
        mark: { type: 'tick', thickness: 3, size: 26 },
        encoding: { x: { ...x, field: 'mean' }, y, color, description: { field: 'desc' } },
      },
      {
        data: { values: runs },
        mark: { type: 'point', filled: true, size: 48, opacity: 0.8 },
        encoding: { x, y, color, description: { field: 'desc' } },
      },
    ],
  };
}
