// How often each choice is taken per layer: a heatmap of dimensions (rows, in the space's order)
// by the values chosen (columns, most chosen first), each cell the number of complete trials.
import type { ReportTrial } from '../types';
import { heatmapChart, type HeatmapCell } from './heatmap';

export interface OpFrequencyOptions {
  title?: string;
  subtitle?: string;
  /** Count trials in these states. Default: complete only. */
  states?: ReadonlyArray<ReportTrial['state']>;
}

/** The dimensions of the trials' choices in order of first appearance. */
export function choiceDims(trials: readonly ReportTrial[]): string[] {
  const dims = new Set<string>();
  for (const t of trials) for (const k of Object.keys(t.choices ?? {})) dims.add(k);
  return [...dims];
}

/** A Vega-Lite heatmap of choice counts per dimension, or null when no trial carries its choices. */
export function opFrequencyChart(trials: readonly ReportTrial[], opts: OpFrequencyOptions = {}): object | null {
  const states = new Set(opts.states ?? ['complete']);
  const counted = trials.filter((t) => states.has(t.state) && t.choices && Object.keys(t.choices).length);
  if (!counted.length) return null;
  const dims = choiceDims(counted);
  const counts = new Map<string, Map<string, number>>(dims.map((d) => [d, new Map()]));
  const totals = new Map<string, number>();
  for (const t of counted) {
    for (const [d, v] of Object.entries(t.choices!)) {
      const row = counts.get(d)!;
      row.set(v, (row.get(v) ?? 0) + 1);
      totals.set(v, (totals.get(v) ?? 0) + 1);
    }
  }
  const columns = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([v]) => v);
  const cells: HeatmapCell[] = dims.flatMap((d) =>
    [...counts.get(d)!.entries()].map(([v, n]) => ({ row: d, column: v, value: n, label: String(n) })),
  );
  const max = Math.max(...cells.map((c) => c.value));
  return heatmapChart(cells, {
    title: opts.title ?? 'How often each choice is taken, per layer',
    subtitle: opts.subtitle ?? `${counted.length} complete trial${counted.length === 1 ? '' : 's'}; a cell is a count`,
    rowTitle: 'layer',
    columnTitle: 'choice',
    valueTitle: 'trials',
    rows: dims,
    columns,
    domain: [0, max],
    showLabels: columns.length <= 30,
    decimals: 0,
    columnLabelAngle: -45,
    valueFormat: 'd',
    cellSize: columns.length > 20 ? undefined : 26,
  });
}
