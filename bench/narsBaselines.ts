// The baselines of the real joint search (issue 12, item 8): random search and regularized evolution
// over the same fbnetv3-s pairs (architecture and recipe), with the same data, epochs, recipe,
// window and number of trained candidates as bench/narsJointSearch.ts, in the same store; then, per
// FLOPs budget, each method's best candidate within the budget trained fully (the same training,
// with test accuracy), and NARS's answer to that budget (from the NARS study's stage 3) beside them.
// Run bench/narsJointSearch.js first (it trains the answers; their checkpoints are reused here).
//
//   node dist/bench/narsBaselines.js [--data fashion-mnist] [--limit-train 3000] [--train-epochs 4]
//     [--trials 20] [--budgets flops<=3M,flops<=4.5M,flops<=6M] [--window flops<=8M]
//     [--recipe recipes/fbnetv3-s-fashion.yaml] [--threads 1] [--seed 0] [--store runs/bench-nars.db]
//     [--study narsjoint] [--methods random,evolution]
//
// Output: progress on stderr; a markdown table on stdout, then one JSON line. Resumable: the studies
// continue and finished trainings are read back from their checkpoints.
import { makeDirs } from '../src/io/outputPath';
import * as path from 'node:path';
import { parseConstraint, violations } from '../src/cost/constraints';
import { createTrainingEvaluator } from '../src/evaluate/training';
import { runStudy } from '../src/search/runStudy';
import { NARS_STATE } from '../src/search/nars/state';
import { trainCandidate } from './trainCandidate';
import { loadSpace } from '../src/space/registry';
import { StudyStore } from '../src/study/store';
import type { TrialRecord } from '../src/study/types';
import { arg } from './args';

const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 60000).toFixed(1)} min] ${s}\n`);

const data = arg('data', 'fashion-mnist');
const limitTrain = Number(arg('limit-train', '3000'));
const epochs = Number(arg('train-epochs', '4'));
const trials = Number(arg('trials', '20'));
const threads = Number(arg('threads', '1'));
const seed = Number(arg('seed', '0'));
const budgets = arg('budgets', 'flops<=3M,flops<=4.5M,flops<=6M').split(',').map(parseConstraint);
// The NARS window's upper bound (study constraints are upper bounds; below 2M MACs is rare in fbnetv3-s).
const window = arg('window', 'flops<=8M').split(',');
const recipe = path.resolve(arg('recipe', 'recipes/fbnetv3-s-fashion.yaml'));
const storeFile = path.resolve(arg('store', 'runs/bench-nars.db'));
const narsStudy = arg('study', 'narsjoint');
const methods = arg('methods', 'random,evolution').split(',');

const byAccuracy = (x: TrialRecord, y: TrialRecord) => y.metrics.accuracy! - x.metrics.accuracy!;

async function main(): Promise<void> {
  makeDirs(path.dirname(storeFile));
  const store = StudyStore.open(storeFile);
  try {
    const space = loadSpace('fbnetv3-s');
    const tester = createTrainingEvaluator({
      space,
      spaceRef: 'fbnetv3-s',
      data,
      recipeFile: recipe,
      epochs,
      limitTrain,
      threads,
      reportTest: true,
    });
    const full = (arch: string, studyDir: string) => {
      log(`training fully (${epochs} epochs, with test accuracy): ${arch}`);
      return trainCandidate(tester, space, arch, studyDir, log);
    };

    const results: Record<string, Array<Record<string, unknown>>> = {};
    const searchBest: Record<string, number> = {};
    for (const method of methods) {
      const name = `${narsStudy}-${method}`;
      log(`study '${name}': ${method}, ${trials} trials within ${window.join(' ')}`);
      const given = {
        strategy: method,
        space: 'fbnetv3-s',
        data,
        trials,
        seed,
        constraints: window,
        train: { epochs, limitTrain, recipe, threads },
        study: name,
      };
      if (store.getStudy(name))
        await runStudy({
          resume: name,
          // A resume only raises a study's target; a smaller --trials reads what it has.
          overrides: (s) => ({ trials: Math.max(trials, (s.config as { trials: number }).trials) }),
          store,
          log,
        });
      else await runStudy({ config: given, store, log });
      const study = store.requireStudy(name);
      const done = store.trials(study.id).filter((t) => t.state === 'complete');
      searchBest[method] = Math.max(...done.map((t) => t.metrics.accuracy!));
      results[method] = [];
      for (const b of budgets) {
        const top = done.filter((t) => violations([b], t.costs).length === 0).sort(byAccuracy)[0];
        const m = top ? await full(top.arch, store.studyDir(name)) : null;
        results[method]!.push({
          budget: b.text,
          arch: top?.arch ?? null,
          flops: top?.costs.flops ?? null,
          searchVal: top?.metrics.accuracy ?? null,
          val: m?.accuracy ?? null,
          test: m?.testAcc ?? null,
        });
      }
    }
    const nars = store.getStudy(narsStudy);
    const answers = nars ? Object.values(store.getState(nars.id, NARS_STATE.answers) ?? {}) : [];
    if (answers.length === 0) log(`no answers of study '${narsStudy}' in ${storeFile}: NARS column left empty`);
    results.nars = [];
    for (const b of budgets) {
      // The answer of the last refit (the final predictor) to this budget.
      const a = answers.filter((x) => x.budget === b.text && !x.error).sort((x, y) => y.round - x.round)[0];
      const m = a ? await full(a.arch, store.studyDir(narsStudy)) : null;
      results.nars.push({
        budget: b.text,
        arch: a?.arch ?? null,
        flops: a?.costs.flops ?? null,
        val: m?.accuracy ?? null,
        test: m?.testAcc ?? null,
      });
    }

    const pct = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');
    const mf = (v: unknown) => (typeof v === 'number' ? `${(v / 1e6).toFixed(2)}M` : '-');
    const cols = ['nars', ...methods];
    console.log(`Per budget, each method's network trained fully (${epochs} epochs; val / test, MACs):\n`);
    console.log(`| budget | ${cols.join(' | ')} |`);
    console.log(`|---|${cols.map(() => '---').join('|')}|`);
    budgets.forEach((b, i) => {
      const cells = cols.map((c) => {
        const r = results[c]![i]!;
        return r.arch ? `${pct(r.val)} / ${pct(r.test)} (${mf(r.flops)})` : 'none within';
      });
      console.log(`| ${b.text} | ${cells.join(' | ')} |`);
    });
    console.log(
      `\nBest validation accuracy in each baseline search: ${methods.map((m) => `${m} ${pct(searchBest[m])}`).join(', ')}.` +
        ` Total ${((Date.now() - t0) / 60000).toFixed(1)} min.`,
    );
    console.log(JSON.stringify({ store: storeFile, results, searchBest }));
  } finally {
    store.close();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
