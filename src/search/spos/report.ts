// The report views of a one-shot search (ReportSection: Vega-Lite specs and a little HTML; the
// strategy stores them while it searches):
//
//  - "One-shot supernet training": the sampled paths' loss and accuracy per epoch, every phase;
//  - "Search-space shrinking by angle (ABS)": per round the ops dropped and the paths left, and
//    every op's score (mean angle) round by round;
//  - "One-shot fitness of the evaluated paths": each path the evolution measured, its one-shot
//    accuracy against its MACs, and the best ones;
//  - "Evolution: best per generation": the best so far, the generation's best and mean;
//  - "One-shot vs stand-alone accuracy" (when the report is written): the retrained paths'
//    validation accuracy beside their one-shot fitness.
import { lineChart } from '../../report/charts/lines';
import { tradeoffChart } from '../../report/charts/tradeoff';
import { formatPercent, formatPlain } from '../../report/formatNumber';
import { escapeHtml } from '../../report/escape';
import type { ReportSection, ReportTrial } from '../../report/types';
import type { OneShotSearchOptions } from './options';
import type { EvolutionRecord, OneShotProposal, ShrinkRound, TrainingPhase } from './state';

export const TRAINING_TITLE = 'One-shot supernet training';
export const SHRINK_TITLE = 'Search-space shrinking by angle (ABS)';
export const FITNESS_TITLE = 'One-shot fitness of the evaluated paths';
export const EVOLUTION_TITLE = 'Evolution: best per generation';
export const ONE_SHOT_VS_STANDALONE_TITLE = 'One-shot vs stand-alone accuracy';

// Numbers as every report table writes them (src/report/formatNumber.ts).
const pct = (v: number) => formatPercent(v);
const num = (v: number, d = 4) => formatPlain(v, d);

export interface SectionsInput {
  phases: readonly TrainingPhase[];
  rounds: readonly ShrinkRound[];
  evolution: EvolutionRecord | null;
  layout: ReadonlyArray<{ key: string; candidates: string[] }>;
  options: Pick<OneShotSearchOptions, 'recalBatches' | 'population' | 'generations' | 'shrink'>;
}

function trainingSection(phases: readonly TrainingPhase[]): ReportSection | null {
  const pts: Array<{ x: number; loss: number; acc: number; phase: number }> = [];
  let x = 0;
  for (const p of phases) {
    if (!p) continue;
    for (const r of p.records) pts.push({ x: ++x, loss: r.loss, acc: r.accuracy, phase: p.phase });
  }
  if (!pts.length) return null;
  const chart = lineChart(
    [
      { name: 'loss', points: pts.map((p) => ({ x: p.x, y: p.loss })) },
      { name: 'accuracy', points: pts.map((p) => ({ x: p.x, y: p.acc })) },
    ],
    { title: 'Sampled paths over the supernet training', xTitle: 'epoch (all phases)', yTitle: 'loss / accuracy' },
  );
  const phaseText = phases
    .filter(Boolean)
    .map((p) => `${p.phase === 0 ? 'training' : `after round ${p.phase}`}: ${p.records.length}/${p.epochs} epochs`)
    .join('; ');
  return { title: TRAINING_TITLE, html: `<p>${escapeHtml(phaseText)}</p>`, charts: [chart] };
}

function shrinkSection(rounds: readonly ShrinkRound[], layout: SectionsInput['layout']): ReportSection | null {
  if (!rounds.length) return null;
  const summary = rounds
    .map(
      (r) =>
        `<tr><td>${r.round}</td><td>${num(r.pathsBefore)} → ${num(r.pathsAfter)}</td><td>${r.dropped
          .map((d) => `${escapeHtml(d.key)}: ${escapeHtml(d.name)} (${num(d.score)})`)
          .join(', ')}</td></tr>`,
    )
    .join('');
  // Every op's score per round ('dropped' in the round that dropped it, blank once gone).
  const head = rounds.map((r) => `<th>round ${r.round}</th>`).join('');
  const rows: string[] = [];
  layout.forEach((l, layer) => {
    if (l.candidates.length < 2) return;
    l.candidates.forEach((name, op) => {
      const cells = rounds.map((r) => {
        const s = r.scores.find((x) => x.layer === layer && x.op === op);
        if (!s) return '<td></td>';
        const dropped = r.dropped.some((d) => d.layer === layer && d.key === l.key && d.name === name);
        return `<td>${num(s.score)}${dropped ? ' <b>dropped</b>' : ''}</td>`;
      });
      rows.push(`<tr><td>${escapeHtml(l.key)}</td><td>${escapeHtml(name)}</td>${cells.join('')}</tr>`);
    });
  });
  const html =
    "<p>Each op still in the space is scored by the mean angle (radians) between the initial and current weights of sampled paths that contain it; the lowest are dropped, never a layer's last op.</p>" +
    `<table><tr><th>round</th><th>paths</th><th>dropped (score)</th></tr>${summary}</table>` +
    `<table><tr><th>layer</th><th>op</th>${head}</tr>${rows.join('')}</table>`;
  return { title: SHRINK_TITLE, html };
}

function fitnessSection(e: EvolutionRecord, o: SectionsInput['options']): ReportSection {
  const trials: ReportTrial[] = e.evaluated.map((p, i) => ({
    number: i,
    state: 'complete',
    arch: p.arch,
    source: p.origin,
    metrics: { accuracy: p.fitness, ...(p.flops !== null ? { flops: p.flops } : {}) },
    epochs: [],
    startedAt: null,
    finishedAt: null,
    error: null,
  }));
  const chart = tradeoffChart(trials, {
    x: 'flops',
    y: 'accuracy',
    yDirection: 'maximize',
    title: 'One-shot accuracy of every measured path',
    subtitle: `validation accuracy with the supernet's weights${o.recalBatches ? `, BatchNorm recalibrated on ${e.recalBatches} batches` : ', no recalibration'}`,
  });
  const top = [...e.evaluated].sort((a, b) => b.fitness - a.fitness).slice(0, 10);
  const html =
    `<p>${e.evaluated.length} paths measured on ${e.valImages} validation images over ${e.history.length} generations (${e.seconds.toFixed(0)} s); ` +
    `the space searched: ${e.space.map((s) => `[${escapeHtml(s)}]`).join(' ')}</p>` +
    `<table><tr><th>#</th><th>one-shot accuracy</th><th>MACs</th><th>generation</th><th>origin</th><th>architecture</th></tr>${top
      .map(
        (p, i) =>
          `<tr><td>${i + 1}</td><td>${pct(p.fitness)}</td><td>${p.flops ?? '?'}</td><td>${p.generation}</td><td>${p.origin}</td><td><code>${escapeHtml(p.arch)}</code></td></tr>`,
      )
      .join('')}</table>`;
  return { title: FITNESS_TITLE, html, charts: chart ? [chart] : [] };
}

function evolutionSection(e: EvolutionRecord): ReportSection {
  const h = e.history;
  const chart = lineChart(
    [
      { name: 'best so far', points: h.map((g) => ({ x: g.generation, y: g.best })) },
      { name: 'generation best', points: h.map((g) => ({ x: g.generation, y: g.generationBest })) },
      { name: 'generation mean', points: h.map((g) => ({ x: g.generation, y: g.generationMean })), dashed: true },
    ],
    { title: 'One-shot accuracy per generation', xTitle: 'generation', yTitle: 'one-shot accuracy' },
  );
  const rows = h
    .map(
      (g) =>
        `<tr><td>${g.generation}</td><td>${pct(g.best)}</td><td>${pct(g.generationBest)}</td><td>${pct(g.generationMean)}</td>` +
        `<td>${g.made.random}/${g.made.mutation}/${g.made.crossover}</td><td>${g.missed}</td></tr>`,
    )
    .join('');
  const html =
    `<p>Stopped: ${e.stopped}.</p><table><tr><th>generation</th><th>best so far</th><th>generation best</th><th>generation mean</th>` +
    `<th>random/mutants/crossovers</th><th>missed</th></tr>${rows}</table>`;
  return { title: EVOLUTION_TITLE, html, charts: [chart] };
}

/** The search views (stored by the strategy as it goes). */
export function oneShotSections(s: SectionsInput): ReportSection[] {
  const out: ReportSection[] = [];
  const t = trainingSection(s.phases);
  if (t) out.push(t);
  const r = shrinkSection(s.rounds, s.layout);
  if (r) out.push(r);
  if (s.evolution) out.push(fitnessSection(s.evolution, s.options), evolutionSection(s.evolution));
  return out;
}

/** The retrained paths: their stand-alone validation (and test) accuracy beside the one-shot fitness. */
export function oneShotVsStandaloneSection(
  proposals: readonly OneShotProposal[] | undefined,
  trials: readonly ReportTrial[],
): ReportSection | null {
  if (!proposals?.length) return null;
  const byArch = new Map(trials.filter((t) => t.state === 'complete').map((t) => [t.arch.replace(/\s/g, ''), t]));
  const rows = proposals
    .map((p) => {
      const t = byArch.get(p.arch.replace(/\s/g, ''));
      return (
        `<tr><td>${p.rank}</td><td>${pct(p.fitness)}</td><td>${t ? pct(t.metrics.accuracy ?? NaN) : 'not trained yet'}</td>` +
        `<td>${t && t.metrics.testAcc !== undefined ? pct(t.metrics.testAcc) : ''}</td><td><code>${escapeHtml(p.arch)}</code></td></tr>`
      );
    })
    .join('');
  return {
    title: ONE_SHOT_VS_STANDALONE_TITLE,
    html:
      "<p>The evolution's best paths, by one-shot accuracy, retrained from scratch with the study's recipe.</p>" +
      `<table><tr><th>rank</th><th>one-shot accuracy</th><th>stand-alone validation accuracy</th><th>test accuracy</th><th>architecture</th></tr>${rows}</table>`,
  };
}
