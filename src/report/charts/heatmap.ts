// A generic heatmap: rows (e.g. layers) by columns (epochs, candidate ops), one value per cell
// (e.g. a probability), optionally one small heatmap per facet (e.g. per layer: candidates by
// epochs) and the cell's label written in it (e.g. the argmax op).

export interface HeatmapCell {
  row: string;
  column: string | number;
  value: number;
  /** Small multiples: one heatmap per distinct facet. */
  facet?: string;
  /** Text written in the cell (when `showLabels`) and shown on hover. */
  label?: string;
}

export interface HeatmapOptions {
  title: string;
  subtitle?: string;
  rowTitle?: string;
  columnTitle?: string;
  valueTitle?: string;
  /** Row order (top to bottom); default order of first appearance. */
  rows?: readonly string[];
  /** Column order (left to right); default order of first appearance. */
  columns?: ReadonlyArray<string | number>;
  /** Facet order; default order of first appearance. */
  facets?: readonly string[];
  /** Facets per line. Default 3. */
  facetColumns?: number;
  /** Color domain; default [0, 1] (probabilities). */
  domain?: [number, number];
  /** A Vega color scheme. Default 'blues'. */
  scheme?: string;
  /** Pixels per cell side (default 20, or less for wide maps). */
  cellSize?: number;
  showLabels?: boolean;
  /** d3 format of the values in the colour legend, e.g. 'd' for counts. */
  valueFormat?: string;
  /** Angle of the column labels (e.g. -45 for long names). Default 0. */
  columnLabelAngle?: number;
  /** Decimals of the value on hover. Default 3. */
  decimals?: number;
}

function firstSeen<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** A Vega-Lite spec; cells with a non-finite value are drawn empty. */
export function heatmapChart(cells: readonly HeatmapCell[], opts: HeatmapOptions): object {
  const rows = opts.rows ? [...opts.rows] : firstSeen(cells.map((c) => c.row));
  const columns = (opts.columns ? [...opts.columns] : firstSeen(cells.map((c) => c.column))).map(String);
  const faceted = cells.some((c) => c.facet !== undefined);
  const facets = opts.facets ? [...opts.facets] : firstSeen(cells.map((c) => c.facet ?? ''));
  const cell =
    opts.cellSize ?? Math.max(8, Math.min(20, Math.floor((faceted ? 300 : 700) / Math.max(1, columns.length))));
  const decimals = opts.decimals ?? 3;
  const values = cells
    .filter((c) => Number.isFinite(c.value))
    .map((c) => ({
      row: c.row,
      column: String(c.column),
      value: c.value,
      facet: c.facet ?? '',
      label: c.label ?? '',
      desc: `${c.facet ? `${c.facet} · ` : ''}${opts.rowTitle ?? 'row'} ${c.row} · ${opts.columnTitle ?? 'column'} ${c.column} · ${opts.valueTitle ?? 'value'} ${c.value.toFixed(decimals)}${c.label && c.label !== c.value.toFixed(decimals) ? ` · ${c.label}` : ''}`,
    }));
  const x = {
    field: 'column',
    type: 'ordinal',
    sort: columns,
    title: opts.columnTitle ?? null,
    // Angled labels have room for every column; level ones drop every other when they collide.
    axis: { labelAngle: opts.columnLabelAngle ?? 0, labelOverlap: opts.columnLabelAngle ? false : 'parity' },
  };
  const y = { field: 'row', type: 'ordinal', sort: rows, title: opts.rowTitle ?? null };
  const layer: object[] = [
    {
      mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x,
        y,
        description: { field: 'desc' },
        color: {
          field: 'value',
          type: 'quantitative',
          title: opts.valueTitle ?? 'value',
          ...(opts.valueFormat ? { legend: { format: opts.valueFormat } } : {}),
          scale: { scheme: opts.scheme ?? 'blues', domain: opts.domain ?? [0, 1] },
        },
      },
    },
  ];
  if (opts.showLabels) {
    const [lo, hi] = opts.domain ?? [0, 1];
    layer.push({
      mark: { type: 'text', fontSize: Math.max(7, Math.min(10, cell - 6)), aria: false },
      encoding: {
        x,
        y,
        text: { field: 'label' },
        color: { condition: { test: `datum.value > ${lo + 0.6 * (hi - lo)}`, value: 'white' }, value: '#222' },
      },
    });
  }
  const inner = { width: { step: cell }, height: { step: cell }, layer };
  const title = { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) };
  if (!faceted)
    return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, data: { values }, ...inner };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { field: 'facet', type: 'nominal', sort: facets, title: null },
    columns: opts.facetColumns ?? 3,
    spec: inner,
    resolve: { scale: { color: 'shared' } },
  };
}
