// The NARS views of a study report (ReportSection: Vega-Lite specs and a little HTML; nothing here
// loads vega or the engine), built when the report is written from the trials and the study's
// state (state.ts):
//   - "NARS stage 1": the pool and the pretrained predictor's validation (rank correlations and
//     MAPE of each free statistic on the held-out 20%), its training loss;
//   - "NARS stage 2: predicted against measured": every round's candidates, the prediction they
//     were picked by against what they measured, with each round's rank correlation;
//   - "NARS early stopping": the rank correlation of round 1's ranking at each epoch with its
//     final ranking, the threshold and the chosen epoch (the paper's Figure 5);
//   - "NARS stage 2: pairs per round on the accuracy-cost plane" (the paper's Figure 6);
//   - "NARS stage 3: budget answers": each budget's answer on the Pareto plane beside the stage-2
//     candidates, and a table of answers with their predicted and measured objective and time.
import { lineChart } from '../../report/charts/lines';
import { tradeoffChart } from '../../report/charts/tradeoff';
import { escapeHtml } from '../../report/escape';
import { MISSING, formatCount, formatPercent, formatPlain, formatValue } from '../../report/formatNumber';
import type { ReportSection, ReportTrial } from '../../report/types';
import { kendallTau, spearman } from '../../stats/correlation';
import type { ReportContext } from '../strategyPlugin';
import { NARS_STATE, type NarsAnswerRecord, type NarsRound } from './state';

export const STAGE1_TITLE = 'NARS stage 1: the pool and the pretrained predictor';
export const PREDICTED_TITLE = 'NARS stage 2: predicted against measured, per round';
export const EARLY_STOP_TITLE = 'NARS early stopping: rank correlation against epochs';
export const ROUNDS_PLANE_TITLE = 'NARS stage 2: the pairs of each round on the accuracy-cost plane';
export const ANSWERS_TITLE = 'NARS stage 3: the answer to each budget';

// Numbers as every report table writes them (src/report/formatNumber.ts).
const fmt = (v: number | null | undefined, digits = 4) => formatPlain(v, digits);
const pct = (v: number) => formatPercent(v);

/** The cost axis of the planes: FLOPs unless the study constrains another cost. */
function costAxis(ctx: ReportContext): { metric: string; name: string } {
  const c = ctx.study.constraints.find((t) => /^(latency|params)/.test(t));
  if (c?.startsWith('latency')) return { metric: 'latencyUs', name: 'latency' };
  if (c?.startsWith('params')) return { metric: 'params', name: 'params' };
  return { metric: 'flops', name: 'FLOPs' };
}

function stage1Section(ctx: ReportContext): ReportSection | null {
  const pool = ctx.state(NARS_STATE.pool);
  const pre = ctx.state(NARS_STATE.pretrain);
  const settings = ctx.state(NARS_STATE.settings);
  if (!pool) return null;
  const rows = (pre?.validation ?? [])
    .map(
      (v) =>
        `<tr><td>${escapeHtml(v.stat)}</td><td class="num">${fmt(v.kendall, 3)}</td><td class="num">${fmt(v.spearman, 3)}</td><td class="num">${pct(v.mape)}</td></tr>`,
    )
    .join('');
  const charts: object[] = [];
  if (pre && pre.losses.length)
    charts.push(
      lineChart([{ name: 'training loss (Huber)', points: pre.losses.map((y, k) => ({ x: k + 1, y })) }], {
        title: 'Pretraining loss against epochs',
        subtitle: `encoder + proxy head on ${pre.stats.join(', ')} (standardised logs) of ${pre.train} pairs`,
        xTitle: 'Epoch',
        yTitle: 'loss',
        width: 420,
        height: 220,
      }),
    );
  return {
    title: STAGE1_TITLE,
    html:
      `<p>${escapeHtml(settings?.description ?? '')}. Pool: ${escapeHtml(pool.summary)} (${fmt(pool.cpuSeconds, 3)} CPU s).</p>` +
      (pre
        ? pre.skipped
          ? `<p>No pretraining: ${escapeHtml(pre.skipped)}.</p>`
          : `<p>The predictor's encoder and proxy head were pretrained ${pre.epochs} epochs on ${pre.train} pairs (${fmt(pre.cpuSeconds, 3)} CPU s); ` +
            `on the ${pre.val} held out:</p><div class="table-wrap"><table><thead><tr><th>statistic</th><th class="num">Kendall tau</th>` +
            `<th class="num">Spearman</th><th class="num">MAPE</th></tr></thead><tbody>${rows}</tbody></table></div>`
        : '<p>Pretraining has not finished yet.</p>'),
    charts,
  };
}

interface RoundRow {
  round: number;
  trial: ReportTrial | undefined;
  predicted: number | null;
}

function roundRows(ctx: ReportContext, rounds: readonly NarsRound[]): RoundRow[] {
  const byArch = new Map<string, ReportTrial>();
  for (const t of ctx.trials) if (t.state === 'complete') byArch.set(t.arch, t);
  return rounds.flatMap((r) =>
    r.candidates.map((c) => ({ round: r.round, trial: byArch.get(c.arch), predicted: c.predicted })),
  );
}

function predictedSection(ctx: ReportContext, rounds: readonly NarsRound[]): ReportSection | null {
  if (!rounds.length) return null;
  const metric = ctx.study.objective.metric;
  const rows = roundRows(ctx, rounds);
  const points = rows
    .filter((r) => r.trial && r.predicted !== null && Number.isFinite(r.trial.metrics[metric]))
    .map((r) => ({
      round: `round ${r.round}`,
      predicted: r.predicted!,
      measured: r.trial!.metrics[metric]!,
      desc: `#${r.trial!.number} · round ${r.round} · predicted ${fmt(r.predicted)} · measured ${fmt(r.trial!.metrics[metric])}`,
    }));
  const table = rounds
    .map((r) => {
      const mine = rows.filter((x) => x.round === r.round);
      const done = mine.filter((x) => x.trial && Number.isFinite(x.trial.metrics[metric]));
      const paired = done.filter((x) => x.predicted !== null);
      const p = paired.map((x) => x.predicted!);
      const m = paired.map((x) => x.trial!.metrics[metric]!);
      const best = done.length ? Math.max(...done.map((x) => x.trial!.metrics[metric]!)) : NaN;
      return (
        `<tr><td class="num">${r.round}</td><td>${r.how === 'qmc' ? 'diverse (Sobol)' : 'best predicted'}</td><td class="num">${r.candidates.length}</td>` +
        `<td class="num">${done.length}</td><td class="num">${r.stopAfterEpochs ?? 'all'}</td>` +
        `<td class="num">${paired.length >= 3 ? fmt(kendallTau(p, m), 3) : '-'}</td><td class="num">${paired.length >= 3 ? fmt(spearman(p, m), 3) : '-'}</td>` +
        `<td class="num">${fmt(best)}</td><td class="num">${r.refit ? `${r.refit.samples} (${fmt(r.refit.train.kendall, 3)})` : '-'}</td></tr>`
      );
    })
    .join('');
  const lo = Math.min(...points.flatMap((p) => [p.predicted, p.measured]));
  const hi = Math.max(...points.flatMap((p) => [p.predicted, p.measured]));
  const charts: object[] = points.length
    ? [
        {
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: {
            text: `Predicted against measured ${metric}`,
            subtitle: 'each round picked by the predictor refit after the rounds before it; the line is y = x',
          },
          width: 380,
          height: 300,
          layer: [
            {
              data: {
                values: [
                  { x: lo, y: lo },
                  { x: hi, y: hi },
                ],
              },
              mark: { type: 'line', color: '#999', strokeDash: [4, 3], aria: false },
              encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
            },
            {
              data: { values: points },
              mark: { type: 'circle', size: 50, opacity: 0.8 },
              encoding: {
                x: { field: 'predicted', type: 'quantitative', title: `predicted ${metric}`, scale: { zero: false } },
                y: { field: 'measured', type: 'quantitative', title: `measured ${metric}`, scale: { zero: false } },
                color: { field: 'round', type: 'nominal', title: 'round' },
                description: { field: 'desc' },
              },
            },
          ],
        },
      ]
    : [];
  return {
    title: PREDICTED_TITLE,
    html:
      `<p>Round 1 is diverse (no accuracy head yet); every later round takes the best predicted of the unevaluated pool, ` +
      `by the predictor refit after the rounds before it. Rank correlations are of the round's predictions with its measurements` +
      ` (candidates that trained only the early-stopping epochs measure ${escapeHtml(metric)} there, as the predictor is trained to).</p>` +
      `<div class="table-wrap"><table><thead><tr><th class="num">round</th><th>picked</th><th class="num">candidates</th><th class="num">complete</th>` +
      `<th class="num">epochs</th><th class="num">Kendall tau</th><th class="num">Spearman</th><th class="num">best</th><th class="num">refit on (train tau)</th>` +
      `</tr></thead><tbody>${table}</tbody></table></div>`,
    charts,
  };
}

function earlyStopSection(ctx: ReportContext): ReportSection | null {
  const e = ctx.state(NARS_STATE.earlyStop);
  if (!e) return null;
  const name = e.correlation === 'kendall' ? "Kendall's tau" : "Spearman's rho";
  return {
    title: EARLY_STOP_TITLE,
    html: `<p>${escapeHtml(e.reason)}.</p>`,
    charts: e.curve.length
      ? [
          lineChart([{ name, points: e.curve.map((c) => ({ x: c.epoch, y: c.value })) }], {
            title: `${name} of round 1's ranking at each epoch with its final ranking`,
            subtitle: `${e.candidates} candidates · threshold ${e.threshold}${e.epoch !== null ? ` · early-stopping epoch ${e.epoch}` : ''}`,
            xTitle: 'Epoch',
            yTitle: name,
            rules: [{ y: e.threshold, label: `threshold ${e.threshold}` }],
            width: 420,
            height: 240,
          }),
        ]
      : [],
  };
}

function planeSection(ctx: ReportContext): ReportSection | null {
  const axis = costAxis(ctx);
  const metric = ctx.study.objective.metric;
  const mine = ctx.trials.filter((t) => t.source?.startsWith('nars-round-'));
  const chart = tradeoffChart(mine, {
    x: axis.metric,
    y: metric,
    yDirection: ctx.study.objective.direction,
    baseline: ctx.baseline,
    title: `${metric} against ${axis.name}, coloured by round`,
    subtitle: 'round 1 spreads over the window; later rounds gather where the predictor expects the best',
  });
  if (!chart) return null;
  return {
    title: ROUNDS_PLANE_TITLE,
    html: `<p>Every evaluated pair, coloured by the round that picked it (the paper's Figure 6)${ctx.baseline ? '; the baseline study in grey' : ''}.</p>`,
    charts: [chart],
  };
}

function answersSection(ctx: ReportContext): ReportSection | null {
  const stored = ctx.state(NARS_STATE.answers);
  if (!stored || !Object.keys(stored).length) return null;
  const metric = ctx.study.objective.metric;
  const axis = costAxis(ctx);
  // The latest refit's answers, one per budget.
  const latest = Math.max(...Object.values(stored).map((a) => a.round));
  const answers: NarsAnswerRecord[] = Object.values(stored).filter((a) => a.round === latest);
  const pseudo: ReportTrial[] = answers.map((a, k) => {
    const measured = a.metrics?.[metric];
    const metrics: Record<string, number> = { [metric]: Number.isFinite(measured) ? measured! : a.predicted };
    if (a.costs.flops !== null) metrics.flops = a.costs.flops;
    if (a.costs.params !== null) metrics.params = a.costs.params;
    if (a.costs.latencyUs !== null) metrics.latencyUs = a.costs.latencyUs;
    return {
      number: 100000 + k,
      state: 'complete',
      arch: a.arch,
      source: `answer ${a.budget}${Number.isFinite(measured) ? '' : ' (predicted)'}`,
      metrics,
      epochs: [],
      startedAt: null,
      finishedAt: null,
      error: null,
    };
  });
  const stage2 = ctx.trials.filter((t) => t.source?.startsWith('nars-round-'));
  const chart = tradeoffChart([...stage2.map((t) => ({ ...t, source: 'stage-2 candidate' })), ...pseudo], {
    x: axis.metric,
    y: metric,
    yDirection: ctx.study.objective.direction,
    title: `Each budget's answer beside the stage-2 candidates`,
    subtitle: 'answers at their measured value when evaluated, else at their predicted value',
    highlight: pseudo.map((p) => p.number),
    highlightLabel: 'answer',
    highlightText: (t) => t.source ?? 'answer',
    labelFrontUpTo: 0,
  });
  const table = answers
    .map((a) => {
      const m = a.metrics?.[metric];
      const gain = a.stage2 && Number.isFinite(m) ? m! - a.stage2.measured : NaN;
      return (
        `<tr><td>${escapeHtml(a.budget)}</td><td class="num">${formatValue(metric, a.predicted)}</td><td class="num">${formatValue(metric, m)}</td>` +
        `<td class="num">${a.stage2 ? `${formatValue(metric, a.stage2.measured)} (#${a.stage2.trial})` : MISSING}</td><td class="num">${formatValue(metric, gain)}</td>` +
        `<td class="num">${formatCount(a.costs.flops)}</td><td class="num">${formatCount(a.costs.params)}</td><td class="num">${fmt(a.cpuSeconds, 3)}</td>` +
        `<td class="num">${a.generations}</td><td class="arch"><code>${escapeHtml(a.arch)}</code></td></tr>`
      );
    })
    .join('');
  return {
    title: ANSWERS_TITLE,
    html:
      `<p>Stage 3 answers each budget with a genetic search scored by the predictor of round ${latest} only (CPU seconds per budget below); ` +
      `the gain is the answer's measured ${escapeHtml(metric)} minus the best stage-2 candidate's within the same budget (stage-2 candidates after early stopping measured fewer epochs).</p>` +
      `<div class="table-wrap"><table><thead><tr><th>budget</th><th class="num">predicted</th><th class="num">measured</th><th class="num">best stage 2</th>` +
      `<th class="num">gain</th><th class="num">MACs</th><th class="num">params</th><th class="num">CPU s</th><th class="num">generations</th><th>answer</th>` +
      `</tr></thead><tbody>${table}</tbody></table></div>`,
    charts: chart ? [chart] : [],
  };
}

export function narsReportSections(ctx: ReportContext): ReportSection[] {
  const rounds = ctx.state(NARS_STATE.rounds) ?? [];
  return [
    stage1Section(ctx),
    predictedSection(ctx, rounds),
    earlyStopSection(ctx),
    planeSection(ctx),
    answersSection(ctx),
  ].filter((s): s is ReportSection => s !== null);
}
