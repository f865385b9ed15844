// Does the DNAS result's latency follow the budget? (issue 6, item 7: "a sweep of ... the budget")
//
// From one finished supernet search (a study of `tsnas search dnas` or of bench/dnasVsRandom.ts),
// for each budget: the proposals the strategy would make (src/supernet/budgetSampling.ts): the most
// probable architecture within the budget and K samples of the learned distribution conditioned
// on it. The search itself does not depend on the budget, so the sweep needs no new search and no
// training; it shows how the proposals' table latency and probability move with the budget.
//
//   node dist/bench/dnasBudgetSweep.js --store runs/bench-dnas.db --study dnas8-b2000
//     --lut runs/quickstart/fbnet-s-1x28x28-t1.lut.json [--budgets 1000,1500,2000,2500,3000,3500,4000] [--samples 6] [--seed 0]
import * as path from 'node:path';
import { predictLatency, readLatencyTable } from '../src/latency/latencyTable';
import { DNAS_STATE } from '../src/search/fbnet';
import { latencyCandidateCosts } from '../src/supernet/latencyCosts';
import { argmaxArchitecture } from '../src/supernet/pathSampling';
import { budgetArgmaxArchitecture, sampleWithinBudget } from '../src/supernet/budgetSampling';
import { loadSpace } from '../src/space/registry';
import { StudyStore } from '../src/study/store';
import { arg } from './args';

const store = StudyStore.open(path.resolve(arg('store', 'runs/bench-dnas.db')));
const studyName = arg('study');
const study = store.getStudy(studyName);
if (!study) throw new Error(`no study '${studyName}' in ${arg('store', 'runs/bench-dnas.db')}`);
const records = store.getState(study.id, DNAS_STATE.records) ?? [];
const last = records.at(-1);
if (!last) throw new Error(`study '${studyName}' has no finished search epoch`);
const space = loadSpace(study.space);
const table = readLatencyTable(path.resolve(arg('lut')));
const costs = latencyCandidateCosts(table, space);
const budgets = arg('budgets', '1000,1500,2000,2500,3000,3500,4000').split(',').map(Number);
const k = Number(arg('samples', '6'));
const seed = Number(arg('seed', '0'));
const dists = last.distributions;
const argmax = argmaxArchitecture(space, dists);

const rows: Array<Record<string, unknown>> = [];
const md = [
  `Study ${studyName}: ${records.length} search epochs; unconstrained argmax ${argmax.text} at ${predictLatency(table, space, argmax.arch).toFixed(0)} us (log-prob ${argmax.logProb.toFixed(2)}); expected latency ${last.expectedCost.toFixed(0)} us.`,
  '',
  '| budget (us) | most probable within it | its table latency (us) | its log-prob | samples found | samples mean latency (us) | P(within budget) (rejection rate; exact where it fell short) |',
  '|---|---|---|---|---|---|---|',
];
for (const budget of budgets) {
  const best = budgetArgmaxArchitecture(space, dists, costs, budget);
  const samples = sampleWithinBudget(space, dists, costs, budget, k, seed);
  const lat = best.arch ? predictLatency(table, space, best.arch.arch) : null;
  const meanSample = samples.samples.length
    ? samples.samples.reduce((s, x) => s + predictLatency(table, space, x.arch), 0) / samples.samples.length
    : null;
  rows.push({
    budget,
    arch: best.arch?.text ?? null,
    latencyUs: lat,
    logProb: best.arch?.logProb ?? null,
    samples: samples.samples.length,
    meanSampleLatencyUs: meanSample,
    acceptanceRate: samples.acceptanceRate,
    budgetProbability: samples.budgetProbability ?? samples.acceptanceRate,
  });
  md.push(
    `| ${budget} | ${best.arch ? `\`${best.arch.text}\`` : `none (cheapest ${best.cheapest.toFixed(0)} us)`} | ${lat === null ? '-' : lat.toFixed(0)} | ${best.arch ? best.arch.logProb.toFixed(2) : '-'} | ` +
      `${samples.samples.length} of ${k} | ${meanSample === null ? '-' : meanSample.toFixed(0)} | ${(samples.budgetProbability ?? samples.acceptanceRate).toPrecision(3)} |`,
  );
}
const lats = rows.map((r) => r.latencyUs as number | null).filter((v): v is number => v !== null);
const monotone = lats.every((v, i) => i === 0 || v >= lats[i - 1]!);
md.push(
  '',
  `As the budget rises, the proposal's latency ${monotone ? 'rises monotonically' : 'does NOT rise monotonically'}: ${lats.map((v) => v.toFixed(0)).join(' -> ')} us.`,
);
console.log(md.join('\n'));
console.log(JSON.stringify({ bench: 'dnasBudgetSweep', study: studyName, epochs: records.length, rows, monotone }));
store.close();
