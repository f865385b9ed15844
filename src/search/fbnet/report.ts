// The DNAS views of a study report (ReportSection: Vega-Lite specs and a little HTML; rendering
// to SVG is the report's job, so nothing here loads vega or the engine):
//
//  - "Architecture distributions over the search": one small heatmap per searchable layer,
//    candidates x epochs, the colour softmax(theta_l) after each epoch (a shared 0..1 scale);
//  - "DNAS search curves": the expected cost of the distribution and the argmax architecture's
//    cost against epochs (the target latency as a reference line), the temperature, and the
//    supernet's accuracy in both passes;
//  - "DNAS result": the trained samples and the argmax on the accuracy-latency (or MACs) plane
//    beside a baseline study (random search), the final choice highlighted, and a table with its
//    validation and test accuracy, table latency, measured latency and MACs, plus the samples
//    dropped by the budget.
//
// The strategy stores the first two under 'report.sections' while it searches; the third is
// built when the report is written (it needs the trained trials and the `baseline` study).
import type { FinalNetwork } from '../finalNetwork';
import { heatmapChart, type HeatmapCell } from '../../report/charts/heatmap';
import { lineChart, type LineSeries } from '../../report/charts/lines';
import { tradeoffChart } from '../../report/charts/tradeoff';
import { formatCount, formatLatencyUs, formatPercent, formatPlain } from '../../report/formatNumber';
import { escapeHtml } from '../../report/escape';
import type { ReportSection, ReportTrial } from '../../report/types';
import type { CostUnit } from '../../supernet/candidateCosts';
import type { DnasEpochRecord } from './dnas';
import { FBNET_TEMPERATURE } from './temperature';

export const DISTRIBUTIONS_TITLE = 'Architecture distributions over the search';
export const CURVES_TITLE = 'DNAS search curves';
export const RESULT_TITLE = 'DNAS result: sampled and final architectures';

/** A layer of the supernet as the report names it. */
export interface ReportLayer {
  key: string;
  name: string;
  candidates: string[];
  /** e.g. '16->24, stride 2, 28x28'. */
  detail?: string;
}

export interface SearchSectionInput {
  records: readonly DnasEpochRecord[];
  layers: readonly ReportLayer[];
  epochs: number;
  warmupEpochs: number;
  costUnit: CostUnit;
  costSource: string;
  /** The hard latency budget (µs), drawn as a reference line when the cost is latency. */
  targetLatencyUs: number | null;
  /** One line on the settings (alpha, beta, soft/hard, images). */
  settings: string;
  /** The temperature schedule tau0 · exp(-tauDecay · (epoch - 1)) (default the paper's 5.0, 0.045). */
  tau0?: number;
  tauDecay?: number;
  /** What happened after the search (proposals drawn, dropped), as HTML; optional. */
  afterHtml?: string;
}

const unitTitle = (u: CostUnit) => (u === 'us' ? 'µs' : u);
const costName = (u: CostUnit) => (u === 'us' ? 'latency' : 'MACs');
const fmt = (v: number, digits = 4) => formatPlain(v, digits);

/** Epochs are whole numbers: integer ticks on a line chart's x axis. */
function epochAxis(spec: object): object {
  const layers = (spec as { layer?: Array<{ encoding?: { x?: Record<string, unknown> } }> }).layer ?? [];
  for (const l of layers)
    if (l.encoding?.x && l.encoding.x.field === 'x') l.encoding.x.axis = { tickMinStep: 1, format: 'd' };
  return spec;
}

/** The search views (stored by the strategy after every epoch). */
export function dnasSearchSections(s: SearchSectionInput): ReportSection[] {
  const { records } = s;
  const done = records.length;
  const progress = done < s.epochs ? ` (${done} of ${s.epochs} epochs done so far)` : '';
  const searchable = s.layers.map((l, i) => ({ l, i })).filter(({ l }) => l.candidates.length > 1);
  const cells: HeatmapCell[] = [];
  const facets: string[] = [];
  for (const { l, i } of searchable) {
    const facet = `${l.key}${l.detail ? ` (${l.detail})` : ''}`;
    facets.push(facet);
    for (const r of records) {
      const p = r.distributions[i] ?? [];
      // No mark while the distribution is still uniform (warm-up): there is no most probable candidate.
      const arg = p.length && Math.max(...p) - Math.min(...p) > 1e-6 ? r.argmaxIndices[i] : -1;
      l.candidates.forEach((c, j) =>
        cells.push({ row: c, column: r.epoch, value: p[j] ?? NaN, facet, label: j === arg ? '•' : '' }),
      );
    }
  }
  const sections: ReportSection[] = [];
  const warm =
    s.warmupEpochs === 1
      ? 'epoch 1 is warm-up (weights only, theta unchanged); '
      : s.warmupEpochs > 1
        ? `epochs 1-${s.warmupEpochs} are warm-up (weights only, theta unchanged); `
        : '';
  const last = records.at(-1);
  sections.push({
    title: DISTRIBUTIONS_TITLE,
    html:
      `<p>softmax(&theta;<sub>l</sub>) of every searchable layer after each epoch${escapeHtml(progress)}: ${escapeHtml(warm)}` +
      `darker = more probable, • marks each epoch's most probable candidate. The final per-layer argmax${last ? `: <code>${escapeHtml(last.argmax)}</code>` : ' appears once an epoch is done'}.</p>` +
      `<p class="note">${escapeHtml(s.settings)}</p>`,
    charts: cells.length
      ? [
          heatmapChart(cells, {
            title: 'Per-layer candidate probabilities by epoch',
            subtitle: `${searchable.length} searchable layers · ${done} epoch${done === 1 ? '' : 's'}${s.warmupEpochs ? ` (${s.warmupEpochs} warm-up)` : ''}`,
            rowTitle: 'candidate',
            columnTitle: 'epoch',
            valueTitle: 'probability',
            facets,
            facetColumns: 3,
            decimals: 3,
            showLabels: true,
            cellSize: Math.max(14, Math.min(24, Math.floor(240 / Math.max(1, done)))),
          }),
        ]
      : [],
  });

  const pts = (f: (r: DnasEpochRecord) => number | null | undefined) =>
    records.map((r) => ({ x: r.epoch, y: f(r) ?? NaN })).filter((p) => Number.isFinite(p.y));
  const u = unitTitle(s.costUnit);
  const rules =
    s.costUnit === 'us' && s.targetLatencyUs !== null
      ? [{ y: s.targetLatencyUs, label: `target ${fmt(s.targetLatencyUs, 6)} µs` }]
      : [];
  const costSeries: LineSeries[] = [
    { name: 'expected (softmax θ)', points: pts((r) => r.expectedCost) },
    { name: 'argmax architecture', points: pts((r) => r.argmaxCost), dashed: true },
  ];
  const charts: object[] = [];
  if (done) {
    charts.push(
      epochAxis(
        lineChart(costSeries, {
          title: `Expected ${costName(s.costUnit)} against epochs`,
          subtitle: `${s.costSource}${s.costUnit !== 'us' && s.targetLatencyUs !== null ? ` · target latency ${fmt(s.targetLatencyUs)} µs applies to the samples (table)` : ''}`,
          xTitle: 'Epoch',
          yTitle: `${s.costUnit === 'us' ? 'Latency' : 'MACs'} (${u})`,
          rules,
          width: 420,
          height: 240,
        }),
      ),
    );
    charts.push(
      epochAxis(
        lineChart([{ name: 'temperature τ', points: pts((r) => r.tau) }], {
          title: 'Temperature against epochs',
          subtitle: `Gumbel-softmax τ used in each epoch: ${fmt(s.tau0 ?? FBNET_TEMPERATURE.tau0)} · exp(-${fmt(s.tauDecay ?? FBNET_TEMPERATURE.decay)} · (epoch - 1))`,
          xTitle: 'Epoch',
          yTitle: 'τ',
          width: 420,
          height: 240,
        }),
      ),
    );
    charts.push(
      epochAxis(
        lineChart(
          [
            { name: 'weight pass (80%)', points: pts((r) => r.weightPass.accuracy * 100) },
            {
              name: 'theta pass (20%)',
              points: pts((r) => (r.thetaPass ? r.thetaPass.accuracy * 100 : null)),
              dashed: true,
            },
          ],
          {
            title: 'Supernet accuracy against epochs',
            subtitle: 'sampled networks during training (Gumbel-softmax masks), not a held-out score',
            xTitle: 'Epoch',
            yTitle: 'Accuracy (%)',
            width: 420,
            height: 240,
          },
        ),
      ),
    );
  }
  const table = records
    .map(
      (r) =>
        `<tr><td class="num">${r.epoch}</td><td>${r.phase}</td><td class="num">${fmt(r.tau, 3)}</td>` +
        `<td class="num">${fmt(r.expectedCost)}</td><td class="num">${fmt(r.argmaxCost)}</td>` +
        `<td class="num">${fmt(r.weightPass.accuracy * 100, 3)}</td><td class="num">${r.thetaPass ? fmt(r.thetaPass.accuracy * 100, 3) : '-'}</td>` +
        `<td class="num">${fmt(r.seconds, 3)}</td><td class="arch"><code>${escapeHtml(r.argmax)}</code></td></tr>`,
    )
    .join('');
  sections.push({
    title: CURVES_TITLE,
    html:
      `<p>Expected ${costName(s.costUnit)} of the learned distribution (unit ${escapeHtml(u)}) and of its per-layer argmax after each epoch` +
      `${rules.length ? ', with the target latency' : ''}; the temperature schedule; the supernet's accuracy in the weight and theta passes.</p>` +
      (done
        ? `<details><summary>Per-epoch records</summary><div class="table-wrap"><table><thead><tr><th class="num">epoch</th><th>phase</th><th class="num">τ</th>` +
          `<th class="num">expected (${escapeHtml(u)})</th><th class="num">argmax (${escapeHtml(u)})</th><th class="num">weight acc %</th><th class="num">theta acc %</th>` +
          `<th class="num">seconds</th><th>argmax</th></tr></thead><tbody>${table}</tbody></table></div></details>`
        : '') +
      (s.afterHtml ?? ''),
    charts,
  });
  return sections;
}

/** The trial sources of DNAS proposals. */
export const DNAS_SOURCES: readonly string[] = ['dnas-argmax', 'dnas-argmax-budget', 'dnas-sample'];

/** What the strategy records about its proposals (state 'dnas.proposals'). */
export interface DnasProposalRecord {
  arch: string;
  /**
   * 'dnas-argmax': the per-layer argmax; 'dnas-argmax-budget': the most probable architecture within
   * the latency budget (when the argmax is over it); 'dnas-sample': a sample (conditioned on the budget if any).
   */
  source: 'dnas-sample' | 'dnas-argmax' | 'dnas-argmax-budget';
  logProb: number;
  /** Cost in the search's unit (table µs or MACs), from the candidate costs. */
  searchCost: number;
  tableLatencyUs: number | null;
  flops: number | null;
  params: number | null;
}

export interface DnasProposals {
  proposals: DnasProposalRecord[];
  dropped: Array<DnasProposalRecord & { reason: string }>;
  summary: string;
  targetLatencyUs: number | null;
  seed: number;
  costUnit: CostUnit;
}

// Numbers as every report table writes them (src/report/formatNumber.ts).
const pct = formatPercent;
const us = formatLatencyUs;
const mac = formatCount;

/** The result view, built when the report is written (trials, the baseline, the final choice). */
export function dnasResultSection(o: {
  trials: readonly ReportTrial[];
  baseline?: readonly ReportTrial[];
  proposals?: DnasProposals;
  final?: FinalNetwork;
  objective: string;
  direction?: 'maximize' | 'minimize';
}): ReportSection {
  const sign = (o.direction ?? 'maximize') === 'maximize' ? -1 : 1;
  const trials = o.trials.filter((t) => DNAS_SOURCES.includes(t.source ?? ''));
  const complete = trials.filter((t) => t.state === 'complete' && Number.isFinite(t.metrics[o.objective]));
  const best = o.final
    ? complete.find((t) => t.number === o.final!.trial)
    : [...complete].sort(
        (a, b) => sign * (a.metrics[o.objective]! - b.metrics[o.objective]!) || a.number - b.number,
      )[0];
  const hasLatency = complete.some((t) => Number.isFinite(t.metrics.latencyUs));
  const x = hasLatency ? 'latencyUs' : 'flops';
  const charts: object[] = [];
  const baseline = o.baseline?.length ? o.baseline : undefined;
  if (complete.length) {
    const spec = tradeoffChart(trials, {
      x,
      y: o.objective,
      yDirection: o.direction ?? 'maximize',
      baseline,
      baselineLabel: 'baseline (random search)',
      highlight: best ? [best.number] : [],
      highlightLabel: 'final',
      title: `Sampled and final architectures: ${o.objective === 'accuracy' ? 'validation accuracy' : o.objective} vs ${hasLatency ? 'table latency' : 'MACs'}`,
      subtitle: baseline
        ? 'grey: the baseline study, trained with its own recipe and budget'
        : 'no baseline: give the report a `baseline` (a random study)',
      width: 560,
      height: 340,
    });
    if (spec) charts.push(spec);
  }
  const rows = trials
    .map(
      (t) =>
        `<tr${best && t.number === best.number ? ' class="final"' : ''}><td class="num">#${t.number}</td><td>${escapeHtml(t.source ?? '')}` +
        `${best && t.number === best.number ? ' <span class="badge">final</span>' : ''}</td><td>${escapeHtml(t.state)}</td>` +
        `<td class="num">${pct(t.metrics[o.objective])}</td><td class="num">${pct(t.metrics.testAcc)}</td><td class="num">${us(t.metrics.latencyUs)}</td>` +
        `<td class="num">${mac(t.metrics.flops)}</td><td class="arch"><code>${escapeHtml(t.arch)}</code></td></tr>`,
    )
    .join('');
  const parts: string[] = [];
  const f = o.final;
  if (f) {
    parts.push(
      `<p><strong>Final network</strong> (the best trained proposal by validation accuracy): trial #${f.trial} (${escapeHtml(f.source ?? '')}), ` +
        `validation accuracy ${pct(f.valAcc)}, test accuracy ${pct(f.testAcc)}, table latency ${us(f.tableLatencyUs)}, ` +
        `measured latency ${us(f.measuredLatencyUs)}${f.measuredP25Us !== null && f.measuredP75Us !== null ? ` (quartiles ${us(f.measuredP25Us)} - ${us(f.measuredP75Us)})` : ''}, ` +
        `MACs ${mac(f.flops)}, params ${formatCount(f.params)}.</p><p><code>${escapeHtml(f.arch)}</code></p>` +
        (f.measuredWith ? `<p class="note">Measured: ${escapeHtml(f.measuredWith)}.</p>` : ''),
    );
  } else if (best) {
    parts.push(
      `<p>Best so far: trial #${best.number}, ${pct(best.metrics[o.objective])} validation accuracy (the measured latency is recorded when the search ends).</p>`,
    );
  } else {
    parts.push('<p class="empty">No proposal has been trained yet.</p>');
  }
  const p = o.proposals;
  if (p) {
    parts.push(`<p>${escapeHtml(p.summary)}</p>`);
    if (p.dropped.length) {
      parts.push(
        `<details open><summary>${p.dropped.length} proposal${p.dropped.length === 1 ? '' : 's'} dropped before training (over the budget)</summary><div class="table-wrap"><table>` +
          `<thead><tr><th>source</th><th>reason</th><th class="num">table latency</th><th class="num">MACs</th><th>architecture</th></tr></thead><tbody>` +
          p.dropped
            .map(
              (d) =>
                `<tr><td>${escapeHtml(d.source)}</td><td>${escapeHtml(d.reason)}</td><td class="num">${us(d.tableLatencyUs)}</td>` +
                `<td class="num">${mac(d.flops)}</td><td class="arch"><code>${escapeHtml(d.arch)}</code></td></tr>`,
            )
            .join('') +
          '</tbody></table></div></details>',
      );
    }
  }
  if (trials.length) {
    parts.push(
      `<div class="table-wrap"><table id="dnas-proposals"><caption>Every trained proposal (K samples from the learned distribution, conditioned on the latency budget if any, and the per-layer argmax, or the most probable architecture within the budget when the argmax is over it).</caption>` +
        `<thead><tr><th class="num">trial</th><th>source</th><th>state</th><th class="num">val acc</th><th class="num">test acc</th><th class="num">table latency</th>` +
        `<th class="num">MACs</th><th>architecture</th></tr></thead><tbody>${rows}</tbody></table></div>`,
    );
  }
  return { title: RESULT_TITLE, html: parts.join('\n'), charts };
}
