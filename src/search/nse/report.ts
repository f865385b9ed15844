// NSE's views of a study report (plain ReportSections: HTML and Vega-Lite specs; nothing here
// loads the engine or vega):
//
//  - "NSE: the space's evolution": one row per round and layer: the subset with every op's score
//    (the one that decided what stayed: probability, angle or mixed; the others beside it), what left and what entered after the round, the round's chosen
//    architecture with its one-shot accuracy and MACs, and, where trials retrained it, the
//    stand-alone accuracy; a chart of the chosen architecture's accuracy by round.
//  - "NSE: the gates' probabilities": per layer a heatmap of every op that was ever in a subset
//    (rows) against rounds (columns), coloured by sigmoid(alpha) after the round (blank when the
//    op was not in that round's subset), the chosen ops marked; and the last round's values
//    against the threshold.
import { heatmapChart, type HeatmapCell } from '../../report/charts/heatmap';
import { lineChart, type LineSeries } from '../../report/charts/lines';
import { formatCount, formatPercent, formatPlain } from '../../report/formatNumber';
import { escapeHtml } from '../../report/escape';
import type { ReportSection, ReportTrial } from '../../report/types';
import type { NseRoundRecord } from './rounds';

export const EVOLUTION_TITLE = "NSE: the space's evolution";
export const GATES_TITLE = "NSE: the gates' probabilities";

export interface NseReportLayer {
  key: string;
  name: string;
  /** e.g. '16→24 s2, 32x32'. */
  detail: string;
}

export interface NseReportInput {
  rounds: readonly NseRoundRecord[];
  layers: readonly NseReportLayer[];
  /** One line on the settings. */
  settings: string;
  threshold: number;
  /** Trials of the study (stand-alone accuracy of the rounds' architectures when retrained). */
  trials?: readonly ReportTrial[];
  /** Rounds the run plans (for "3 of 8 rounds done"). */
  plannedRounds?: number;
}

// Numbers as every report table writes them (src/report/formatNumber.ts).
const pct = (v: number) => formatPercent(v);
const p3 = (v: number) => formatPlain(v, 3);
const mac = formatCount;
const code = (s: string) => `<code>${escapeHtml(s)}</code>`;
const list = (ops: readonly string[]) => (ops.length ? ops.map(code).join(' ') : '—');

/** The stand-alone accuracy of a round's choice: its trial (source nse-round-<r> or, for the last, nse-final). */
function standAlone(trials: readonly ReportTrial[] | undefined, r: NseRoundRecord, last: boolean): number | null {
  const t = (trials ?? []).find(
    (x) =>
      x.state === 'complete' &&
      x.arch === r.selected &&
      (x.source === `nse-round-${r.round}` || (last && x.source === 'nse-final')),
  );
  return t && Number.isFinite(t.metrics.accuracy) ? t.metrics.accuracy! : null;
}

export function nseSections(s: NseReportInput): ReportSection[] {
  return [evolutionSection(s), gatesSection(s)];
}

function evolutionSection(s: NseReportInput): ReportSection {
  const { rounds, layers } = s;
  const done = rounds.length;
  const planned = s.plannedRounds ? ` of ${s.plannedRounds} planned` : '';
  if (!done)
    return {
      title: EVOLUTION_TITLE,
      html: `<p>No round has finished yet${escapeHtml(planned)}.</p><p class="note">${escapeHtml(s.settings)}</p>`,
    };
  const rows: string[] = [];
  for (const r of rounds) {
    const last = r.round === rounds.at(-1)!.round;
    const alone = standAlone(s.trials, r, last);
    const head =
      `<tr class="round"><th colspan="5">Round ${r.round + 1}: chosen ${code(r.selected)} · one-shot ${pct(r.oneShotAcc)}` +
      `${alone !== null ? ` · stand-alone ${pct(alone)}` : ''} · ${mac(r.flops)} MACs` +
      `${r.trimmed.length ? ` · trimmed to the constraints: ${r.trimmed.map((t) => `${escapeHtml(layers[t.layer]?.key ?? t.layer)} ${code(t.op)}`).join(', ')}` : ''}` +
      `${r.end ? ` · end: ${escapeHtml(r.end)}` : ''}</th></tr>`;
    rows.push(head);
    const kind = r.score ?? 'probability';
    r.subsets.forEach((subset, l) => {
      const scored = subset
        .map((op, i) => ({ op, s: r.scores?.[l]?.[i] ?? r.probabilities[l]![i]!, i }))
        .sort((a, b) => b.s - a.s)
        .map(({ op, s: v, i }) => {
          const b = r.selectedOps[l]!.includes(op);
          return `${b ? '<b>' : ''}${code(op)} ${p3(v)}${b ? '</b>' : ''}${scoreDetail(r, kind, l, i)}`;
        })
        .join(', ');
      const lay = layers[l];
      rows.push(
        `<tr><td>${escapeHtml(lay?.key ?? `layer ${l + 1}`)}${lay ? ` <span class="note">${escapeHtml(lay.detail)}</span>` : ''}</td>` +
          `<td>${scored}</td><td>${list(r.dropped[l] ?? [])}</td><td>${list(r.added[l] ?? [])}</td><td>${r.selectedOps[l]!.length}</td></tr>`,
      );
    });
  }
  const series: LineSeries[] = [
    {
      name: 'one-shot (supernet weights, BN recalibrated)',
      points: rounds.map((r) => ({ x: r.round + 1, y: r.oneShotAcc * 100 })),
    },
  ];
  const alone = rounds
    .map((r) => ({ x: r.round + 1, y: (standAlone(s.trials, r, r === rounds.at(-1)) ?? NaN) * 100 }))
    .filter((p) => Number.isFinite(p.y));
  if (alone.length) series.push({ name: 'stand-alone (retrained from scratch)', points: alone, dashed: true });
  return {
    title: EVOLUTION_TITLE,
    html:
      `<p>${done} round${done === 1 ? '' : 's'}${escapeHtml(planned)}. Each round's supernet holds a subset of every layer's pool; its ops are scored ` +
      `after the round by ${scoreWords(rounds)}, and the best by that score stay, the rest leave, unexplored ops enter. ` +
      `Chosen ops in bold (gate probability at least ${s.threshold}, at most the space's branches, at least one).</p>` +
      `<table class="nse-evolution"><thead><tr><th>layer</th><th>subset: op score (p: probability, &theta;: angle)</th><th>left after</th><th>entered after</th><th>branches chosen</th></tr></thead>` +
      `<tbody>${rows.join('')}</tbody></table><p class="note">${escapeHtml(s.settings)}</p>`,
    charts: [
      lineChart(series, {
        title: "Each round's chosen architecture: validation accuracy",
        subtitle: 'does evolving the space help? (expected: rising)',
        xTitle: 'Round',
        yTitle: 'Accuracy (%)',
      }),
    ],
  };
}

const SCORE_WORDS: Record<string, string> = {
  probability: "their gate's probability sigmoid(&alpha;)",
  angle:
    "ABS's angle (mean over sampled single-op paths of the angle between their initial and current weights, radians)",
  mixed: 'the mean of their ranks by probability and by angle (1 the best, 0 the worst in the layer)',
};

/** Which score decided, in words (rounds of one run share it). */
function scoreWords(rounds: readonly NseRoundRecord[]): string {
  const kinds = [...new Set(rounds.map((r) => r.score ?? 'probability'))];
  return kinds.map((k) => `<b>${escapeHtml(k)}</b>: ${SCORE_WORDS[k] ?? ''}`).join('; ');
}

/** The scores beside the deciding one: the probability and angle an angle or mixed score came from. */
function scoreDetail(r: NseRoundRecord, kind: string, l: number, i: number): string {
  if (kind === 'probability') return '';
  const a = r.angles?.[l]?.[i];
  const angle = a === null || a === undefined ? '?' : a.toFixed(3);
  return ` <span class="note">(p ${p3(r.probabilities[l]![i]!)}, &theta; ${angle})</span>`;
}

function gatesSection(s: NseReportInput): ReportSection {
  const { rounds, layers } = s;
  const cells: HeatmapCell[] = [];
  const facets: string[] = [];
  layers.forEach((lay, l) => {
    const facet = `${lay.key} (${lay.detail})`;
    const ever = [...new Set(rounds.flatMap((r) => r.subsets[l] ?? []))];
    if (ever.length < 2) return;
    facets.push(facet);
    for (const r of rounds)
      (r.subsets[l] ?? []).forEach((op, i) =>
        cells.push({
          row: op,
          column: r.round + 1,
          value: r.probabilities[l]![i]!,
          facet,
          label: r.selectedOps[l]!.includes(op) ? '•' : '',
        }),
      );
  });
  const last = rounds.at(-1);
  const table = last
    ? `<table><thead><tr><th>layer</th><th>final round: sigmoid(&alpha;) of each op (threshold ${s.threshold})</th></tr></thead><tbody>` +
      last.subsets
        .map(
          (subset, l) =>
            `<tr><td>${escapeHtml(layers[l]?.key ?? l)}</td><td>${subset
              .map((op, i) => ({ op, p: last.probabilities[l]![i]! }))
              .sort((a, b) => b.p - a.p)
              .map(({ op, p }) => `${code(op)} ${p3(p)}${p >= s.threshold ? ' ✓' : ''}`)
              .join(', ')}</td></tr>`,
        )
        .join('') +
      '</tbody></table>'
    : '';
  return {
    title: GATES_TITLE,
    html:
      `<p>Every op's Bernoulli gate probability sigmoid(&alpha;) after each round (a blank cell: the op was not in that round's subset; • the chosen ops). ` +
      `A round starts every gate at 0.5; &alpha; is learned on the validation split by REINFORCE with the resource penalty.</p>${table}`,
    charts: cells.length
      ? [
          heatmapChart(cells, {
            title: 'Gate probabilities by round',
            subtitle: `${facets.length} layers · ${rounds.length} round${rounds.length === 1 ? '' : 's'}`,
            rowTitle: 'op',
            columnTitle: 'round',
            valueTitle: 'probability',
            facets,
            facetColumns: 3,
            decimals: 2,
            showLabels: true,
          }),
        ]
      : [],
  };
}
