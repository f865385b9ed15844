// The NARS stage-3 table writes its numbers as every other report table does (one formatter,
// src/report/formatNumber.ts): MACs and params as 38.9M beside the budget's 38.9M, never 38850072.
import type { SearchConfig } from '../../src/search/config';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { narsReportSections, ANSWERS_TITLE } from '../../src/search/nars/report';
import { NARS_STATE, type NarsAnswerRecord } from '../../src/search/nars/state';
import type { StudyRecord } from '../../src/study/types';
import type { StateKey } from '../../src/study/stateKey';

test('NARS stage 3: costs as counts, the objective in %, a missing value as a dash', () => {
  const answer: NarsAnswerRecord = {
    budget: 'flops<=40M',
    round: 2,
    arch: 'ir_k3_e1/skip',
    predicted: 0.91234,
    costs: { flops: 38_850_072, params: 1_234_567, latencyUs: null },
    cpuSeconds: 1.23456,
    generations: 7,
    scored: 300,
    stopped: 'patience',
    seeds: 4,
    bestByGeneration: [0.9, 0.91],
    stage2: null,
    metrics: null,
    error: null,
  };
  const study = {
    objective: { metric: 'accuracy', direction: 'maximize' },
    constraints: ['flops<=40M'],
  } as unknown as StudyRecord;
  const sections = narsReportSections({
    study,
    config: {} as SearchConfig, // the answers' table reads none of it
    trials: [],
    state: <T>(key: StateKey<T>) =>
      (key.name === NARS_STATE.answers.name ? { 'flops<=40M@2': answer } : undefined) as T | undefined,
  });
  const html = sections.find((s) => s.title === ANSWERS_TITLE)!.html!;
  const row = /<tr><td>flops&lt;=40M<\/td>(.*?)<\/tr>/.exec(html)![1]!;
  const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
  assert.deepEqual(cells.slice(0, 8), ['91.23%', '–', '–', '–', '38.9M', '1.23M', '1.23', '7']);
  assert.doesNotMatch(html, /38850072|1234567/);
  assert.match(html, /<th class="num">MACs<\/th>/);
});
