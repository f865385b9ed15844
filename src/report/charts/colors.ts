// One color per trial source (random, evolution, sampled, ...), the same in every chart of a
// report, plus fixed colors for the series a chart adds (the Pareto front, the baseline).
import { BASELINE_COLOR, FRONT_COLOR, PALETTE } from '../vegaSvg';
import type { ReportTrial } from '../types';

export const UNKNOWN_SOURCE = 'unknown';

/** The sources of the trials in order of first appearance (by trial number). */
export function sourcesOf(trials: readonly ReportTrial[]): string[] {
  const seen = new Set<string>();
  for (const t of [...trials].sort((a, b) => a.number - b.number)) seen.add(t.source ?? UNKNOWN_SOURCE);
  return [...seen];
}

/** A Vega-Lite color scale: the sources in palette order, then the named extra series with their colors. */
export function colorScale(
  sources: readonly string[],
  extra: Array<[label: string, color: string]> = [],
): { domain: string[]; range: string[] } {
  const domain = [...sources];
  const range = sources.map((_, i) => PALETTE[i % PALETTE.length]!);
  for (const [label, color] of extra) {
    domain.push(label);
    range.push(color);
  }
  return { domain, range };
}

export { BASELINE_COLOR, FRONT_COLOR };
