import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, renderStudyReport, type ReportData, type ReportTrial } from '../../src/report';
import { makeReportData, makeTrials } from './fixtures';

/** No external resource of any kind: a report must open offline, from a mail attachment. */
export function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script\b/i, 'no scripts at all');
  assert.doesNotMatch(html, /<link\b/i, 'no stylesheets or icons');
  assert.doesNotMatch(html, /<(iframe|object|embed|img)\b/i);
  assert.doesNotMatch(
    html,
    /\b(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|\/\/|file:|data:)/i,
    'no external src/href',
  );
  assert.doesNotMatch(html, /@import|url\(\s*["']?(https?:|\/\/)/i, 'no CSS imports or remote url()');
}

const svgCount = (html: string) => (html.match(/<svg\b/g) ?? []).length;
/** The report less the recorded error texts (which may well say 'NaN'). */
const ownText = (html: string) => html.replace(/<pre class="error">[\s\S]*?<\/pre>/g, '');

test('the fixture report: complete, self-contained, with every part', async () => {
  const data = makeReportData();
  const html = await renderStudyReport(data);
  assertSelfContained(html);
  assert.match(html, /^<!doctype html>/);
  // 3 trade-off charts (latency, MACs, params), 2 progress charts, the learning curves, the
  // choices per layer and their parallel coordinates, 3 in the extra section.
  assert.equal(svgCount(html), 11);
  for (const name of [
    'tradeoff-latencyUs',
    'tradeoff-flops',
    'tradeoff-params',
    'best-by-trial',
    'best-by-time',
    'curves-valAcc',
    'op-frequency',
    'parallel-coordinates',
    'section-1-1',
    'section-1-2',
    'section-1-3',
  ]) {
    assert.match(html, new RegExp(`data-chart="${name}"`), name);
  }
  assert.match(html, /Accuracy vs latency: Pareto front/);
  assert.match(html, /Best-so-far accuracy vs trials/);
  assert.match(html, /Latency \(µs\)/);
  assert.match(html, /<span class="state complete">143 complete<\/span>/);
  assert.match(html, /4 failed trials \(with error text\)/);
  assert.match(html, /training diverged/);
  assert.match(html, /Architecture distribution \(FBNet-style\)/);
  assert.equal(
    (html.match(/<table class="candidates" id="top-candidates">[\s\S]*?<\/table>/)![0].match(/<tr>/g) ?? []).length,
    16,
    'header + 15',
  );
  assert.doesNotMatch(ownText(html), /NaN|undefined|\[object Object\]/);
  assert.ok(html.length < 600_000, `size ${html.length}`);
});

test('user text is escaped: arch strings, errors, names, sources, constraints, section titles', async () => {
  const data = makeReportData({ trials: 30, baseline: 0, sections: false });
  const evil = '<script>alert("x")</script>';
  const best = data.trials
    .filter((t) => t.state === 'complete')
    .sort((a, b) => b.metrics.accuracy! - a.metrics.accuracy!)[0]!;
  best.arch = `ir_k3_e1/${evil}`;
  best.source = `<img src=x onerror=alert(1)>`;
  const failed = data.trials.find((t) => t.state === 'failed')!;
  failed.error = `Error: ${evil} & more`;
  data.study.name = `study ${evil}`;
  data.study.constraints = ['flops<=1e6 <b>'];
  data.study.config = { note: evil, size: 10n ** 20n };
  data.sections = [{ title: `Section ${evil}`, html: '<p class="mine">trusted <em>html</em></p>' }];
  const html = await renderStudyReport(data);
  assertSelfContained(html);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.ok(html.includes(`ir_k3_e1/${escapeHtml(evil)}`), 'arch shown escaped');
  assert.ok(html.includes(`Error: ${escapeHtml(evil)} &amp; more`), 'error shown escaped');
  assert.ok(html.includes(`<h2>Section ${escapeHtml(evil)}</h2>`));
  assert.ok(html.includes('<p class="mine">trusted <em>html</em></p>'), "section html is the caller's, inserted as is");
  assert.match(html, /flops&lt;=1e6 &lt;b&gt;/);
  assert.match(
    html,
    /&quot;size&quot;: &quot;100000000000000000000&quot;/,
    'a bigint in the config is written, not thrown on',
  );
  assert.equal(escapeHtml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
});

test('zero complete trials: says so, draws no chart; an empty study too', async () => {
  const data = makeReportData({ trials: 6, baseline: 0, sections: false });
  data.trials.forEach((t, i) => {
    t.state = i % 2 ? 'failed' : 'running';
    t.error = i % 2 ? 'Error: boom' : null;
  });
  const html = await renderStudyReport(data);
  assertSelfContained(html);
  assert.equal(svgCount(html), 0);
  assert.match(html, /No complete trials yet: nothing to plot/);
  assert.equal((html.match(/class="empty"/g) ?? []).length, 1, 'said once, not per section');
  assert.match(html, /3 failed trials/);
  assert.doesNotMatch(html, /id="best"/);

  const empty = await renderStudyReport({ ...data, trials: [] });
  assert.equal(svgCount(empty), 0);
  assert.match(empty, /The study has no trials/);
  assert.doesNotMatch(empty, /NaN|Infinity|undefined/);
});

test('one trial: every chart still drawn, nothing degenerate', async () => {
  const data = makeReportData({ trials: 1, failed: 0, pruned: 0, running: 0, baseline: 0, sections: false });
  const html = await renderStudyReport(data);
  assertSelfContained(html);
  assert.equal(
    svgCount(html),
    1 + 2 + 3,
    'the latency trade-off (MACs and params do not vary: not drawn) + 2 progress + curves, choices, parallel coordinates',
  );
  assert.doesNotMatch(ownText(html), /NaN|Infinity|undefined|\d\.\d{6}</);
  assert.match(html, /1 of 1 trials on the front/);
});

test('missing metrics and NaN values: left out of charts, shown as a dash in tables', async () => {
  const data = makeReportData({ trials: 60, baseline: 0, sections: false });
  const complete = data.trials.filter((t) => t.state === 'complete');
  complete.slice(0, 10).forEach((t) => {
    delete t.metrics.latencyUs;
  });
  complete.slice(10, 15).forEach((t) => {
    t.metrics.accuracy = NaN;
  });
  complete.slice(15, 18).forEach((t) => {
    t.metrics.flops = NaN;
    t.metrics.testAcc = Infinity;
  });
  const html = await renderStudyReport(data, { topN: 60 });
  assertSelfContained(html);
  assert.doesNotMatch(ownText(html), /NaN|Infinity|undefined/);
  assert.equal(svgCount(html), 5 + 3);
  assert.match(html, />–</, 'a missing value is a dash');

  // No cost metric at all: no trade-off, progress still there.
  for (const t of data.trials) {
    delete t.metrics.latencyUs;
    delete t.metrics.flops;
    delete t.metrics.params;
  }
  const noCost = await renderStudyReport(data);
  assert.match(noCost, /No complete trial records latency, MACs or params/);
  assert.equal(svgCount(noCost), 2 + 3);
  // No finish times: no wall-time chart, and it says so.
  for (const t of data.trials) {
    t.finishedAt = null;
    t.startedAt = null;
  }
  const noTimes = await renderStudyReport(data);
  assert.match(noTimes, /No finish times recorded/);
  assert.equal(svgCount(noTimes), 1 + 3);
  // The objective missing everywhere.
  for (const t of data.trials) delete t.metrics.accuracy;
  const noObjective = await renderStudyReport(data);
  assert.match(noObjective, /No complete trial has the objective metric &#39;accuracy&#39;/);
  assert.equal((noObjective.match(/class="empty"/g) ?? []).length, 1, 'said once');
  assert.equal(svgCount(noObjective), 0);
});

test('a minimized objective ranks ascending and flips the front', async () => {
  const data = makeReportData({ trials: 40, baseline: 0, sections: false });
  for (const t of data.trials) if (Number.isFinite(t.metrics.accuracy)) t.metrics.loss = 1 - t.metrics.accuracy!;
  data.study.objective = { metric: 'loss', direction: 'minimize' };
  const html = await renderStudyReport(data);
  const losses = [...html.matchAll(/<td class="num objective">([\d.]+)<\/td>/g)].map((m) => Number(m[1]));
  assert.ok(losses.length >= 15);
  for (let i = 1; i < 15; i++) assert.ok(losses[i - 1]! <= losses[i]!, 'ascending loss');
  assert.match(html, /lower loss, lower latency/);
});

test('thousands of trials: points capped, file stays small, front kept', async () => {
  const data = makeReportData({ trials: 5000, failed: 40, baseline: 2000 });
  const html = await renderStudyReport(data);
  assertSelfContained(html);
  assert.ok(html.length < 1_500_000, `size ${html.length}`);
  assert.match(html, /\d+ points not drawn \(even sample; front kept\)/);
  assert.match(html, /<dd>5000 &nbsp;<span class="state complete">\d+ complete/);
  const front = Number(/(\d+) of \d+ trials on the front/.exec(html)![1]);
  const mainSvg = /data-chart="tradeoff-latencyUs">([\s\S]*?)<\/figure>/.exec(html)![1]!;
  assert.equal(
    (mainSvg.match(/\(Pareto front\)/g) ?? []).length,
    front,
    'every front point drawn with its hover title',
  );
  assert.match(html, /and \d+ more failed trials not listed|40 failed trials/);
});

test('a section whose chart cannot be drawn shows the error and the rest of the report', async () => {
  const data = makeReportData({ trials: 20, baseline: 0, sections: false });
  data.sections = [
    { title: 'Broken', charts: [{ mark: 'nonsense-mark', data: { values: [] } }] },
    { title: 'Fine', html: '<p>ok</p>' },
  ];
  const html = await renderStudyReport(data);
  assert.match(html, /class="chart-error" data-chart-error="section-1-1"/);
  assert.match(html, /<h2>Fine<\/h2>/);
  assert.equal(svgCount(html), 5 + 3);
});

test('the baseline is drawn and named; trials from unknown sources get a color', async () => {
  const data: ReportData = makeReportData({ trials: 40, baseline: 30, sections: false });
  data.trials.slice(0, 5).forEach((t: ReportTrial) => {
    t.source = null;
  });
  const html = await renderStudyReport(data);
  assert.match(html, />baseline</);
  assert.match(html, />baseline best</);
  assert.match(html, />unknown</);
  assert.match(html, /30 complete trials \(grey in the charts\)/);
  assert.ok(makeTrials(5, 1).every((t) => t.source === 'random'));
});
