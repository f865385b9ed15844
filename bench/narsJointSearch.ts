// A real joint architecture-recipe search with training (issue 12, item 8): NARS on fbnetv3-s
// (the paper's seven recipe dimensions) on Fashion-MNIST, small enough for a 2-core CPU:
//   1. the study: stage 1 (pool, pretraining), stage 2 (rounds of candidates trained on a
//      stratified subset, round 1 all epochs, later rounds the early-stopping epoch);
//   2. stage 3: each FLOPs budget answered by the predictor and trained fully (the recipe's epochs);
//   3. stage 3's gain: per budget, the answer against the best stage-2 candidate within the budget
//      trained fully too (an early-stopped one continues from its checkpoint);
//   4. the recipe swap (the paper's FBNetV3-B/E experiment): the smallest and the largest budget's
//      answers trained with each other's recipe;
//   then the test accuracy of every network of 3 and 4 (measured once, never selected on).
// Everything is a study in one store and every training has a checkpoint, so a killed run
// continues where it stopped when started again with the same arguments.
//
//   node dist/bench/narsJointSearch.js [--data fashion-mnist] [--limit-train 3000] [--train-epochs 4]
//     [--trials 20] [--rounds 4] [--budgets flops<=3M,flops<=4.5M,flops<=6M] [--window flops>=2M,flops<=8M]
//     [--recipe recipes/fbnetv3-s-fashion.yaml] [--threads 2] [--seed 0] [--store runs/bench-nars.db] [--study narsjoint]
//     [--set pool=20000,...]
//
// Output: progress on stderr; markdown tables on stdout, then one JSON line.
import { pluginStudy } from '../src/search/setupSearch';
import { makeDirs } from '../src/io/outputPath';
import * as path from 'node:path';
import { parseConstraint, violations } from '../src/cost/constraints';
import { createTrainingEvaluator } from '../src/evaluate/training';
import { getStrategy } from '../src/search/registry';
import { runStudy } from '../src/search/runStudy';
import { NARS_STATE } from '../src/search/nars/state';
import { trainCandidate } from './trainCandidate';
import { StudyStore } from '../src/study/store';
import { arg } from './args';

const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 60000).toFixed(1)} min] ${s}\n`);

const data = arg('data', 'fashion-mnist');
const limitTrain = Number(arg('limit-train', '3000'));
const epochs = Number(arg('train-epochs', '4'));
const trials = Number(arg('trials', '20'));
const rounds = Number(arg('rounds', '4'));
const threads = Number(arg('threads', '2'));
const seed = Number(arg('seed', '0'));
const budgets = arg('budgets', 'flops<=3M,flops<=4.5M,flops<=6M').split(',').map(parseConstraint);
const window = arg('window', 'flops>=2M,flops<=8M');
const recipe = path.resolve(arg('recipe', 'recipes/fbnetv3-s-fashion.yaml'));
const storeFile = path.resolve(arg('store', 'runs/bench-nars.db'));
const name = arg('study', 'narsjoint');
const extra = Object.fromEntries(
  arg('set', '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string])
    .map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)]),
);

async function main(): Promise<void> {
  makeDirs(path.dirname(storeFile));
  const store = StudyStore.open(storeFile);
  try {
    const plugin = getStrategy('nars');
    const given = {
      strategy: 'nars',
      space: 'fbnetv3-s',
      data,
      trials,
      seed,
      train: { epochs, limitTrain, recipe, threads },
      options: { rounds, window, ...extra },
      study: name,
    };
    const s1 = Date.now();
    // The study's run: stages 1 and 2 and the plug-in's finalize (the last round's refit).
    const { summary, setup, config } = store.getStudy(name)
      ? await runStudy({ resume: name, store, log })
      : await runStudy({ config: given, store, log });
    const searchMinutes = (Date.now() - s1) / 60000;
    const study = store.requireStudy(name);
    const ctx = {
      store,
      study,
      ...pluginStudy(setup),
      space: setup.space,
      evaluator: setup.evaluator,
      costs: setup.costs,
      constraints: setup.constraints,
      log,
    };
    const answers = await plugin.answerBudgets!({ ...ctx, budgets, train: true });

    // The same data, epochs and recipe, measuring test accuracy too (checkpoints are reused).
    const tester = createTrainingEvaluator({
      space: setup.space,
      spaceRef: config.space,
      data,
      recipeFile: recipe,
      epochs,
      limitTrain,
      threads,
      reportTest: true,
    });
    const studyDir = store.studyDir(name);
    const full = (arch: string) => {
      log(`training fully (${epochs} epochs, with test accuracy): ${arch}`);
      return trainCandidate(tester, setup.space, arch, studyDir, log);
    };
    const trialsDone = store.trials(study.id).filter((t) => t.state === 'complete');
    const rows: Array<Record<string, unknown>> = [];
    for (const a of answers) {
      const b = budgets.find((x) => x.text === a.budget)!;
      const within = trialsDone
        .filter((t) => violations([b], t.costs).length === 0)
        .sort((x, y) => y.metrics.accuracy! - x.metrics.accuracy!);
      const ans = await full(a.arch);
      const top = within[0];
      const stage2 = top ? await full(top.arch) : null;
      rows.push({
        budget: a.budget,
        answer: a.arch,
        answerFlops: a.costs.flops,
        predicted: a.predicted,
        val: ans.accuracy,
        test: ans.testAcc,
        stage2: top?.arch ?? null,
        stage2Flops: top?.costs.flops ?? null,
        stage2SearchVal: top?.metrics.accuracy ?? null,
        stage2SearchEpochs: top?.epochs.length ?? null,
        stage2Val: stage2?.accuracy ?? null,
        stage2Test: stage2?.testAcc ?? null,
        cpuSeconds: a.cpuSeconds,
      });
    }
    // The recipe swap: the smallest and the largest budget's answers.
    const split = (arch: string) => {
      const g = arch.split('/');
      return { arch: g.slice(0, -1).join('/'), recipe: g.at(-1)! };
    };
    const small = split(answers[0]!.arch);
    const large = split(answers.at(-1)!.arch);
    const swap = [
      { net: 'smallest budget', own: answers[0]!.arch, other: `${small.arch}/${large.recipe}` },
      { net: 'largest budget', own: answers.at(-1)!.arch, other: `${large.arch}/${small.recipe}` },
    ];
    const swapRows = [];
    for (const s of swap) swapRows.push({ ...s, ownMetrics: await full(s.own), otherMetrics: await full(s.other) });

    const pool = store.getState(study.id, NARS_STATE.pool)!;
    const pre = store.getState(study.id, NARS_STATE.pretrain)!;
    const early = store.getState(study.id, NARS_STATE.earlyStop)!;
    const roundsState = store.getState(study.id, NARS_STATE.rounds)!;
    const trainSeconds = trialsDone.reduce((s, t) => s + (t.metrics.trainSeconds ?? 0), 0);
    const pctf = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');
    const mf = (v: unknown) => (typeof v === 'number' ? `${(v / 1e6).toFixed(2)}M` : '-');
    console.log(
      `NARS joint search on ${data} (fbnetv3-s; ${limitTrain} training images, 20% of them for validation; ${epochs} epochs; recipe ${path.relative(process.cwd(), recipe)}; seed ${seed})\n`,
    );
    console.log(
      `Stage 1: ${pool.summary}; pretraining ${pre.epochs} epochs, held-out ${pre.validation.map((v) => `${v.stat} Kendall tau ${v.kendall.toFixed(3)} (MAPE ${(100 * v.mape).toFixed(1)}%)`).join(', ')}.`,
    );
    console.log(`Early stopping: ${early.reason}.`);
    console.log(
      `Stage 2: ${summary.complete} candidates in ${roundsState.length} rounds (${roundsState.map((r) => `${r.candidates.length}${r.stopAfterEpochs ? ` x ${r.stopAfterEpochs} ep` : ''}`).join(', ')}), ` +
        `${(trainSeconds / 60).toFixed(1)} min of training (${searchMinutes.toFixed(1)} min of this run); best validation accuracy ${pctf(summary.best?.metrics.accuracy)}.\n`,
    );
    console.log(
      '| budget | answer MACs | predicted | answer val | answer test | best stage-2 within budget (MACs; val in the search, epochs) | it trained fully: val | test | gain (val) | stage 3 CPU s |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.budget} | ${mf(r.answerFlops)} | ${pctf(r.predicted)} | ${pctf(r.val)} | ${pctf(r.test)} | ${r.stage2 ? `${mf(r.stage2Flops)}; ${pctf(r.stage2SearchVal)}, ${r.stage2SearchEpochs}` : 'none'} | ${pctf(r.stage2Val)} | ${pctf(r.stage2Test)} | ` +
          `${typeof r.val === 'number' && typeof r.stage2Val === 'number' ? `${(100 * (r.val - r.stage2Val)).toFixed(2)} pt` : '-'} | ${(r.cpuSeconds as number).toFixed(2)} |`,
      );
    console.log("\n| network | own recipe: val / test | the other answer's recipe: val / test |");
    console.log('|---|---|---|');
    for (const s of swapRows)
      console.log(
        `| ${s.net} answer | ${pctf(s.ownMetrics.accuracy)} / ${pctf(s.ownMetrics.testAcc)} | ${pctf(s.otherMetrics.accuracy)} / ${pctf(s.otherMetrics.testAcc)} |`,
      );
    console.log(
      `\nAnswers: ${answers.map((a) => `${a.budget}: ${a.arch}`).join('; ')}. Total ${((Date.now() - t0) / 60000).toFixed(1)} min.`,
    );
    console.log(
      JSON.stringify({
        study: name,
        store: storeFile,
        rows,
        swap: swapRows,
        earlyStop: early.epoch,
        trials: summary.complete,
        trainMinutes: trainSeconds / 60,
      }),
    );
  } finally {
    store.close();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
