// The charts of a study's trials in detail, as pure functions of report data (the live dashboard
// draws the same): learning curves from the stored epochs, how often each choice is taken per
// layer, parallel coordinates over the choices; each rendered to SVG with the marks it should have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  curveMetric,
  learningCurvesChart,
  opFrequencyChart,
  parallelCoordinatesChart,
  renderVegaLite,
} from '../../src/report';
import type { ReportTrial } from '../../src/report/types';
import { makeTrials } from './fixtures';

const lineTitles = (svg: string) => svg.match(/<path[^>]*><title>[^<]*<\/title><\/path>/g) ?? [];

test('learning curves: a line per trial from its epochs, whole-number epochs, the best kept when thinned', async () => {
  const trials = makeTrials(40, 3, { failed: 2 });
  assert.equal(curveMetric(trials), 'valAcc');
  const spec = learningCurvesChart(trials, { objective: { metric: 'accuracy', direction: 'maximize' } })!;
  const { svg, warnings } = await renderVegaLite(spec);
  assert.deepEqual(warnings, []);
  const withEpochs = trials.filter((t) => t.epochs.length).length;
  // Vega draws each trial's line in a group of its own.
  const lines = svg.match(/<g class="mark-line role-mark[^"]*"[^>]*><path d="M[^"]*L/g) ?? [];
  assert.equal(lines.length, withEpochs, 'one curve per trial with epochs');
  // A trial's line names it and its architecture on hover.
  const named = svg.match(/<title>#\d+ · [a-z]+ · [a-z_0-9/-]+<\/title>/g) ?? [];
  assert.equal(named.length, withEpochs);
  // Few trials: a point per epoch too, its hover text the epoch and value.
  const few = trials.filter((t) => t.epochs.length).slice(0, 12);
  const small = await renderVegaLite(learningCurvesChart(few)!);
  const points = small.svg.match(/<title>#\d+ · epoch \d · Validation accuracy [\d.]+%<\/title>/g) ?? [];
  assert.equal(
    points.length,
    few.reduce((n, t) => n + t.epochs.length, 0),
  );
  assert.match(svg, /Validation accuracy \(%\)/);
  const ticks = [...svg.matchAll(/role-axis-label[\s\S]*?<\/g>/g)].flatMap((m) =>
    [...m[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((x) => x[1]),
  );
  assert.ok(!ticks.includes('1.5') && !ticks.includes('2.5'), `integer epoch ticks: ${ticks.join(' ')}`);

  // Thinned to 10 curves: the best 10 by the objective are the ones drawn.
  const thinned = learningCurvesChart(trials, {
    objective: { metric: 'accuracy', direction: 'maximize' },
    maxTrials: 10,
  })!;
  const drawn = new Set(
    ((thinned as { data: { values: Array<{ trial: number }> } }).data.values ?? []).map((r) => r.trial),
  );
  const best = trials
    .filter((t) => t.epochs.length && Number.isFinite(t.metrics.accuracy))
    .sort((a, b) => b.metrics.accuracy! - a.metrics.accuracy!)
    .slice(0, 10)
    .map((t) => t.number);
  assert.deepEqual(
    [...drawn].sort((a, b) => a - b),
    [...best].sort((a, b) => a - b),
  );
  assert.equal(learningCurvesChart(trials.map((t) => ({ ...t, epochs: [] }))), null, 'no epochs: no chart');
});

test('op frequency: a cell per (layer, choice) taken, counting every complete trial once per layer', async () => {
  const trials = makeTrials(30, 5, { failed: 3 });
  const complete = trials.filter((t) => t.state === 'complete');
  const { svg, warnings } = await renderVegaLite(opFrequencyChart(trials)!);
  assert.deepEqual(warnings, []);
  const cells = [...svg.matchAll(/<title>layer (layer\d) · choice ([a-z_0-9]+) · trials (\d+)<\/title>/g)];
  const expected = new Map<string, number>();
  for (const t of complete)
    for (const [d, v] of Object.entries(t.choices!)) expected.set(`${d} ${v}`, (expected.get(`${d} ${v}`) ?? 0) + 1);
  assert.equal(cells.length, expected.size);
  for (const [, d, v, n] of cells) assert.equal(Number(n), expected.get(`${d} ${v}`), `${d} ${v}`);
  assert.equal(opFrequencyChart(trials.map((t) => ({ ...t, choices: undefined }))), null, 'no choices: no chart');
});

test('parallel coordinates: a line per complete trial through its choices, best on top, the architecture on hover', async () => {
  const trials = makeTrials(25, 9, { failed: 2 });
  const complete = trials.filter((t) => t.state === 'complete');
  const spec = parallelCoordinatesChart(trials, { metric: 'accuracy', direction: 'maximize' })!;
  const { svg, warnings } = await renderVegaLite(spec);
  assert.deepEqual(warnings, []);
  const lines = lineTitles(svg).filter((l) => /<title>#\d+ · Accuracy/.test(l));
  assert.equal(lines.length, complete.length);
  const best = [...complete].sort((a, b) => b.metrics.accuracy! - a.metrics.accuracy!)[0]!;
  assert.ok(lines.at(-1)!.includes(`#${best.number} · `), 'the best line is drawn last, on top');
  assert.ok(lines.at(-1)!.includes(best.arch), 'its architecture on hover');
  for (const layer of ['layer1', 'layer9']) assert.ok(svg.includes(`>${layer}</text>`), layer);
  // Each axis labels the values taken on it.
  assert.ok(svg.includes(`>${complete[0]!.choices!.layer1}</text>`));
  const noMetric: ReportTrial[] = trials.map((t) => ({ ...t, metrics: {} }));
  assert.equal(parallelCoordinatesChart(noMetric, { metric: 'accuracy', direction: 'maximize' }), null);
});
