// Vega-Lite spec -> SVG string, in Node, with the report's theme. vega and vega-lite are
// ESM-only and this project is CommonJS, so they are loaded with a dynamic import that tsc
// leaves alone (a plain `import()` would be rewritten to `require`).

import type * as Vega from 'vega';

/** What is used of vega-lite (its typings resolve only under ESM module resolution). */
interface VegaLite {
  compile(spec: Record<string, unknown>, o: { logger: Vega.LoggerInterface }): { spec: Vega.Spec };
}

interface VegaModules {
  vega: typeof Vega;
  vl: VegaLite;
}

const importESM = new Function('s', 'return import(s)') as <T>(s: string) => Promise<T>;

let modules: Promise<VegaModules> | null = null;

function loadVega(): Promise<VegaModules> {
  modules ??= Promise.all([importESM<typeof Vega>('vega'), importESM<VegaLite>('vega-lite')]).then(([vega, vl]) => ({
    vega,
    vl,
  }));
  return modules;
}

/** Short, because Vega writes it on every text element; the report's CSS sets the page font on SVG text. */
export const FONT = 'sans-serif';

/** Category colors (Tableau 10): sources take them in order of first appearance. */
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#9d755d',
  '#ff9da6',
  '#bab0ac',
];
export const BASELINE_COLOR = '#bdbdbd';
export const FRONT_COLOR = '#222222';

export const THEME = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: '#e6e6e6' },
  title: {
    fontSize: 14,
    fontWeight: 600,
    anchor: 'start',
    color: '#222',
    subtitleFontSize: 11.5,
    subtitleColor: '#666',
    offset: 12,
    subtitlePadding: 4,
  },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    titleColor: '#333',
    labelColor: '#444',
    gridColor: '#eeeeee',
    domainColor: '#999',
    tickColor: '#999',
    titlePadding: 8,
  },
  legend: { labelFontSize: 11, titleFontSize: 11.5, titleFontWeight: 600, labelLimit: 220, symbolStrokeWidth: 2 },
  header: { labelFontSize: 11.5, titleFontSize: 12 },
  range: { category: PALETTE },
};

function mergeConfig(
  theme: Record<string, unknown>,
  config: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!config) return theme;
  const out: Record<string, unknown> = { ...theme };
  for (const [k, v] of Object.entries(config)) {
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? { ...out[k], ...v } : v;
  }
  return out;
}

/** Rounds the coordinates in path data and transforms to 2 decimals: a third of the bytes of a scatter plot. */
function roundCoordinates(svg: string): string {
  return svg.replace(
    / (d|transform)="([^"]*)"/g,
    (_m, attr: string, val: string) =>
      ` ${attr}="${val.replace(/-?\d+\.\d{3,}(e-?\d+)?/g, (n) => String(Math.round(Number(n) * 100) / 100))}"`,
  );
}

/**
 * Turns the aria-label of a mark item (a point, a heatmap cell) into an SVG <title>, which a
 * browser shows on hover: tooltips without a script. Marks given `aria: false` carry no label.
 */
function labelsToTitles(svg: string): string {
  return svg.replace(
    /<(path|rect|line|circle)\b([^>]*?) aria-label="([^"]*)"([^>]*?)\/>/g,
    '<$1$2$4><title>$3</title></$1>',
  );
}

/** Drops the ARIA role attributes of single mark items (their <title> names them): 55 bytes a point. */
function dropItemRoles(svg: string): string {
  return svg.replace(/<(path|rect|line|circle) role="graphics-symbol" aria-roledescription="[^"]*"/g, '<$1');
}

/**
 * Drops the invisible frames Vega writes around every group it facets by (a line per trial is a
 * group each): a background without fill or stroke and a hidden foreground, 150 bytes a line.
 */
function dropEmptyFrames(svg: string): string {
  return svg
    .replace(/<path class="background" aria-hidden="true" d="M0,0h[\d.]+v[\d.]+h-[\d.]+Z"\/>/g, '')
    .replace(/<path class="foreground" aria-hidden="true" d="" display="none"\/>/g, '');
}

export interface RenderedChart {
  svg: string;
  warnings: string[];
}

/** Renders a Vega-Lite spec to an SVG string with the report's theme (the spec's own config wins). */
export async function renderVegaLite(spec: object): Promise<RenderedChart> {
  const { vega, vl } = await loadVega();
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (_method: string, _level: string, input: unknown[]) => {
    warnings.push(input.map(String).join(' '));
  });
  const s = spec as Record<string, unknown>;
  const themed = { ...s, config: mergeConfig(THEME, s.config as Record<string, unknown> | undefined) };
  const compiled = vl.compile(themed, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return { svg: dropEmptyFrames(dropItemRoles(labelsToTitles(roundCoordinates(svg)))), warnings };
  } finally {
    view.finalize();
  }
}
