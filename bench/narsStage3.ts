// How long does stage 3 take per budget? (issue 12, item 8: "it runs in seconds: report the time
// per budget"; target under 10 CPU-seconds.)
//
// A finished NARS study per case (in a temporary store, the synthetic evaluator or a table), then
// its plug-in's answerBudgets hook (what `tsnas study answer` calls) for a list of FLOPs budgets
// spread over the space, each answered from scratch: the CPU seconds of each answer
// (process.cpuUsage: every thread of this process, the predictor's engine threads included), the
// genetic algorithm's generations and the pairs it scored. Cases:
//   fbnet-s     architecture search, 9 choices of 9 ops (the genetic algorithm)
//   fbnetv3-s   joint architecture-recipe search, 19 + 7 dimensions (the genetic algorithm)
//   table       with --table FILE: a tabular study (every entry within the budget scored)
//
//   node dist/bench/narsStage3.js [--table FILE] [--metric val_acc] [--trials 50] [--repeats 3]
//     [--cases fbnet-s,fbnetv3-s,table] [--budgets N]
//
// Output: progress on stderr; a markdown table on stdout, then one JSON line.
import { pluginStudy } from '../src/search/setupSearch';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConstraint } from '../src/cost/constraints';
import { getStrategy } from '../src/search/registry';
import { runStudy } from '../src/search/runStudy';
import { NARS_STATE } from '../src/search/nars/state';
import { StudyStore } from '../src/study/store';
import { arg } from './args';

const tableFile = arg('table', '');
const cases = arg('cases', tableFile ? 'fbnet-s,fbnetv3-s,table' : 'fbnet-s,fbnetv3-s').split(',');
const trials = Number(arg('trials', '50'));
const repeats = Number(arg('repeats', '3'));
const nBudgets = Number(arg('budgets', '4'));

interface Row {
  case: string;
  budget: string;
  cpuSeconds: number[];
  generations: number;
  scored: number;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-narsst3-'));
  const store = StudyStore.open(path.join(dir, 'bench.db'));
  const rows: Row[] = [];
  try {
    for (const c of cases) {
      const given =
        c === 'table'
          ? {
              strategy: 'nars',
              space: arg('space', 'fbnet-s'),
              evaluator: `table:${path.resolve(tableFile)}`,
              metrics: { accuracy: arg('metric', 'val_acc') },
              trials,
            }
          : { strategy: 'nars', space: c, evaluator: 'synthetic:0', trials };
      const plugin = getStrategy('nars');
      console.error(`${c}: a NARS study of ${trials} evaluations`);
      const { setup } = await runStudy({ config: { ...given, study: c }, store });
      const study = store.requireStudy(c);
      console.error(`${c}: searched (${setup.evaluator.description})`);
      // Budgets: evenly spaced quantiles of the evaluated pairs' FLOPs.
      const flops = store
        .trials(study.id)
        .map((t) => t.costs.flops!)
        .sort((a, b) => a - b);
      const budgets = Array.from({ length: nBudgets }, (_, k) =>
        parseConstraint(`flops<=${(flops[Math.floor(((k + 1) / (nBudgets + 1)) * flops.length)]! / 1e6).toFixed(2)}M`),
      );
      const ctx = {
        store,
        study,
        ...pluginStudy(setup),
        space: setup.space,
        evaluator: setup.evaluator,
        costs: setup.costs,
        constraints: setup.constraints,
        log: () => {},
      };
      for (const b of budgets) rows.push({ case: c, budget: b.text, cpuSeconds: [], generations: 0, scored: 0 });
      for (let r = 0; r < repeats; r++) {
        store.setState(study.id, NARS_STATE.answers, {}); // answer afresh
        const answers = await plugin.answerBudgets!({ ...ctx, budgets, train: false });
        answers.forEach((a, k) => {
          const row = rows.find((x) => x.case === c && x.budget === budgets[k]!.text)!;
          row.cpuSeconds.push(a.cpuSeconds);
          const rec = Object.values(store.getState(study.id, NARS_STATE.answers)!).find((x) => x.budget === a.budget)!;
          row.generations = rec.generations;
          row.scored = rec.scored;
          console.error(
            `${c} ${a.budget}: ${a.cpuSeconds.toFixed(2)} CPU s, ${rec.generations} generations, ${rec.scored} scored`,
          );
        });
      }
    }
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  console.log(`Stage 3 per budget (after ${trials} evaluations; median of ${repeats} answers from scratch)\n`);
  console.log('| case | budget | CPU s (median) | CPU s (max) | generations | pairs scored |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.case} | ${r.budget} | ${median(r.cpuSeconds).toFixed(2)} | ${Math.max(...r.cpuSeconds).toFixed(2)} | ${r.generations} | ${r.scored} |`,
    );
  const worst = Math.max(...rows.flatMap((r) => r.cpuSeconds));
  console.log(
    `\nTarget (under 10 CPU-seconds per budget): the slowest answer took ${worst.toFixed(2)} CPU s: ${worst < 10 ? 'holds' : 'does not hold'}.`,
  );
  console.log(JSON.stringify({ trials, repeats, rows, worst }));
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
