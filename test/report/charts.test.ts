import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestSoFarChart,
  formatMetric,
  heatmapChart,
  lineChart,
  metricScale,
  renderVegaLite,
  thinPoints,
  tradeoffChart,
} from '../../src/report';
import { axisScale } from '../../src/report/charts/axes';
import { formatDuration } from '../../src/report/time';
import { makeTrials } from './fixtures';

test('metricScale: accuracy in %, MACs in M, latency in µs or ms, params in M or K', () => {
  assert.equal(metricScale('accuracy', [0.91, 0.5]).title, 'Accuracy (%)');
  assert.equal(formatMetric(metricScale('accuracy', [0.91]), 0.9123), '91.23');
  assert.equal(metricScale('testAcc', [91.2]).factor, 1, 'already in percent');
  assert.equal(metricScale('flops', [300e6]).title, 'MACs (M)');
  assert.equal(formatMetric(metricScale('flops', [300e6]), 300_774_272, true), '300.8 M');
  assert.equal(metricScale('latencyUs', [850, 2400]).title, 'Latency (µs)');
  assert.equal(metricScale('latencyUs', [12_000, 30_000]).title, 'Latency (ms)');
  assert.equal(formatMetric(metricScale('latencyUs', [12_000]), 12_345, true), '12.35 ms');
  assert.equal(metricScale('params', [3.5e6]).title, 'Params (M)');
  assert.equal(metricScale('params', [24_000]).title, 'Params (K)');
  assert.equal(metricScale('expectedLatencyUs', [900]).title, 'Expected latency us (µs)');
  assert.equal(formatMetric(metricScale('accuracy'), NaN), '–');
  assert.equal(formatMetric(metricScale('accuracy'), undefined), '–');
});

test('axisScale: log only past 10x, padded domain for a single value', () => {
  assert.equal(axisScale([1, 5, 9], { allowLog: true }).type, 'linear');
  assert.equal(axisScale([1, 50], { allowLog: true }).type, 'log');
  assert.equal(axisScale([1, 50]).type, 'linear', 'log only when allowed');
  assert.equal(axisScale([0, 50], { allowLog: true }).type, 'linear', 'zero cannot be on a log axis');
  assert.deepEqual(axisScale([5, 5, NaN]).domain, [4.5, 5.5]);
  assert.deepEqual(axisScale([0]).domain, [-1, 1]);
});

test('thinPoints: caps evenly, always keeps the marked points', () => {
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  const t = thinPoints(xs, 100, (x) => x % 97 === 0);
  assert.equal(t.points.length, 100);
  assert.equal(t.dropped, 900);
  for (let i = 0; i < 1000; i += 97) assert.ok(t.points.includes(i));
  assert.deepEqual(thinPoints([1, 2], 5), { points: [1, 2], dropped: 0 });
});

test('formatDuration', () => {
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(12_300), '12.3 s');
  assert.equal(formatDuration(245_000), '4 min 05 s');
  assert.equal(formatDuration(8_040_000), '2 h 14 min');
  assert.equal(formatDuration(null), '–');
});

test('tradeoff and best-so-far specs render to SVG with their marks, log x past 10x', async () => {
  const trials = makeTrials(80, 1, { failed: 2 });
  const spec = tradeoffChart(trials, {
    x: 'flops',
    y: 'accuracy',
    yDirection: 'maximize',
    baseline: makeTrials(30, 2),
  })!;
  const { svg, warnings } = await renderVegaLite(spec);
  assert.deepEqual(warnings, []);
  assert.match(svg, /^<svg[^>]*width="\d+"/);
  assert.match(svg, /MACs \(M\)/);
  assert.match(svg, /Accuracy \(%\)/);
  assert.match(svg, /Pareto front/);
  assert.match(svg, /baseline/);
  const titles = svg.match(/<title>#\d+/g) ?? [];
  assert.ok(titles.length >= 78, `a hover title per complete trial, got ${titles.length}`);
  // Log x when the cost spans more than 10x.
  const wide = trials.map((t, i) => ({
    ...t,
    metrics: { ...t.metrics, flops: (t.metrics.flops ?? 1) * (i % 2 ? 30 : 1) },
  }));
  assert.match(
    JSON.stringify(tradeoffChart(wide, { x: 'flops', y: 'accuracy', yDirection: 'maximize' })),
    /"type":"log"/,
  );
  assert.match(JSON.stringify(spec), /"type":"linear"/);

  const picked = await renderVegaLite(
    tradeoffChart(trials, {
      x: 'latencyUs',
      y: 'accuracy',
      yDirection: 'maximize',
      highlight: [trials.find((t) => t.state === 'complete')!.number],
      highlightLabel: 'final',
    })!,
  );
  assert.match(picked.svg, />final #\d+</, 'a highlighted trial is labelled');
  assert.match(picked.svg, /<title>#\d+ \(final\)/);

  const progress = await renderVegaLite(
    bestSoFarChart(trials, { metric: 'accuracy', direction: 'maximize', by: 'time' })!,
  );
  assert.match(progress.svg, /Wall time since start \((min|h)\)/);
  assert.match(progress.svg, /best so far/);
  assert.equal(
    tradeoffChart(
      trials.filter((t) => t.state === 'failed'),
      { x: 'flops', y: 'accuracy', yDirection: 'maximize' },
    ),
    null,
  );
});

test('heatmap (plain and faceted) and line chart specs render', async () => {
  const cells = ['L1', 'L2', 'L3'].flatMap((row, i) =>
    [1, 2, 3, 4].map((e) => ({ row, column: e, value: (i + e) / 8, label: `op${i}` })),
  );
  const plain = await renderVegaLite(
    heatmapChart(cells, {
      title: 'Distributions',
      rowTitle: 'layer',
      columnTitle: 'epoch',
      valueTitle: 'probability',
      showLabels: true,
    }),
  );
  assert.equal((plain.svg.match(/<path[^>]*><title>[^<]*probability/g) ?? []).length, 12, 'one cell per (row, column)');
  const faceted = heatmapChart(
    ['ir_k3_e1', 'ir_k5_e6', 'skip'].flatMap((op, j) =>
      ['layer 1', 'layer 2'].flatMap((facet) =>
        [1, 2, 3].map((e) => ({ facet, row: op, column: e, value: (j + e) / 6 })),
      ),
    ),
    { title: 'Per layer', rowTitle: 'candidate', columnTitle: 'epoch' },
  );
  const f = await renderVegaLite(faceted);
  assert.match(f.svg, /layer 1/);
  assert.match(f.svg, /layer 2/);
  assert.equal((f.svg.match(/<title>layer \d/g) ?? []).length, 18);

  const line = await renderVegaLite(
    lineChart(
      [
        {
          name: 'expected latency',
          points: [
            { x: 1, y: 1400 },
            { x: 2, y: 1200 },
            { x: 3, y: NaN },
          ],
        },
        { name: 'sampled', points: [{ x: 1, y: 1500 }], dashed: true },
      ],
      {
        title: 'Expected latency',
        xTitle: 'Epoch',
        yTitle: 'Latency (µs)',
        rules: [{ y: 1000, label: 'target 1000 µs' }],
      },
    ),
  );
  assert.match(line.svg, /target 1000 µs/);
  assert.match(line.svg, /expected latency/);
  assert.doesNotMatch(line.svg, /NaN/);
});

test('chart text is escaped by the SVG renderer', async () => {
  const { svg } = await renderVegaLite(
    lineChart(
      [
        {
          name: '<script>alert(1)</script>',
          points: [
            { x: 1, y: 1 },
            { x: 2, y: 2 },
          ],
        },
        { name: 'b', points: [] },
      ],
      { title: 'T <b>&', xTitle: 'x', yTitle: 'y' },
    ),
  );
  assert.doesNotMatch(svg, /<script>/);
  assert.match(svg, /&lt;script&gt;/);
  assert.match(svg, /T &lt;b&gt;&amp;/);
});

test('tradeoff marks: networks from outside the trials drawn as labelled marks, with their note', async () => {
  const trials = makeTrials(40, 3);
  const accs = trials.filter((t) => t.state === 'complete').map((t) => t.metrics.accuracy!);
  const top = Math.min(1, Math.max(...accs) + 0.02);
  const spec = tradeoffChart(trials, {
    x: 'flops',
    y: 'accuracy',
    yDirection: 'maximize',
    marks: [
      { label: 'searched #3 (final)', kind: 'result', arch: 'a', metrics: { accuracy: top, flops: 2e6 } },
      { label: 'base (final)', kind: 'reference', arch: 'b', metrics: { accuracy: 0.5, flops: 4e6 } },
      { label: 'no cost', kind: 'reference', arch: 'c', metrics: { accuracy: 0.5 } },
    ],
    marksNote: ['squares and triangles: after final training', 'searched #3 is 2.00x as fast as base'],
  })! as { layer: Array<{ data?: { values: Array<{ label?: string; y: number }> } }>; title: { subtitle: string[] } };
  const markLayers = spec.layer.filter((l) => l.data?.values.some((v) => v.label === 'base (final)'));
  assert.equal(markLayers.length, 2, 'the marks and their labels');
  assert.deepEqual(
    markLayers[0]!.data!.values.map((v) => v.label),
    ['searched #3 (final)', 'base (final)'],
    'a mark without the x metric is left out',
  );
  assert.deepEqual(spec.title.subtitle.slice(1), [
    'squares and triangles: after final training',
    'searched #3 is 2.00x as fast as base',
  ]);
  const { svg, warnings } = await renderVegaLite(spec);
  assert.deepEqual(warnings, []);
  assert.match(svg, />searched #3 \(final\)</);
  assert.match(svg, />base \(final\)</);
  assert.match(svg, /searched #3 is 2\.00x as fast as base/, 'the comparison under the title');
});
