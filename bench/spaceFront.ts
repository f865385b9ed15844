// The space's true front for the main job's task (issue 25, item 3): random fbnet-s architectures
// spread over table latency, each trained with the main job's final recipe (scripts/main.sh's final
// training: 2 epochs on all 60,000 Fashion-MNIST training images, the default recipe, EMA 1 - 10 /
// steps, test accuracy on the 10,000 test images), then the front ones and fbnet-s-baseline again at
// two more seeds. It answers: is there a network that beats the baseline's mean at 0.5x, 0.6x, 0.7x
// its latency, and by how much?
//
//   node dist/bench/spaceFront.js [--store runs/space-front/tsnas.db] [--lut FILE] [--seed 0] [--threads 1] [--workers 1]
//     [--bins 12] [--per-bin 5] [--above 6] [--above-to 1.3] [--extra-seeds 2]
//     [--retrain 0.5x] [--out bench/results/space-front.json] [--svg docs/img/space-front.svg] [--report]
//
// One command, resumable: it is a tsnas study (the strategy 'space-front' below, registered from
// here; the trials evaluated by a function that trains with the final recipe) in an SQLite store,
// so rerunning the same command continues where it stopped (finished trainings are kept, the one
// interrupted continues from its last finished epoch). `--workers N` trains in N processes at
// once, each one worker of the study (`--threads` each; on 2 cores, 2 workers of 1 thread ran
// 1.19x the trials per minute of 1 worker of 2 threads: BENCHMARKS.md, issue 16). `--report` only writes the summary and the
// chart from what is trained. The latency table is the main job's (`--lut`; measured here as
// scripts/main.sh measures it when the file is missing).
//
// The plan (a function of the study's seed, kept in the study's state): fbnet-s-baseline's first
// run; then `--per-bin` architectures in each of `--bins` equal latency bins between the smallest
// network of the space (all skip) and the baseline's table latency, and one in each of `--above`
// bins from the baseline's latency to `--above-to` x it, drawn round by round (each round one per
// bin, the bins nearest 0.6x the baseline's latency first: a run stopped early is spread over the
// range and densest where the question is). Once about a round is trained (as many networks as
// bins, less one), the baseline and the
// best network of each budget (0.5x-0.9x, by first run) get their `--extra-seeds` more seeds before
// further first runs (a later best gets them when it becomes one), so that a bench stopped early
// still answers every budget over seeds; at the end the networks of the front (on their first
// runs) get them too. The main job's searched networks of `--retrain` (labels of
// bench/tables/main-job-searched.json, default 0.5x: its results at 0.5x for search seeds 0-2)
// are trained at every seed as well, right after those: set apart from the random ones, they say
// whether the main job's result equals the baseline over seeds. Training seeds are the main job's final-training
// seeds (src/random/studySeeds.ts: run k of a network of name N trains with finalTrainingSeed(study
// seed, k, N)), so the baseline's runs are those a main job of the same seed trains with
// FINAL_SEEDS=3, and the random networks get their own (their architecture string as the name).
import { execFileSync, spawn } from 'node:child_process';
import * as readline from 'node:readline';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { arg, num } from './args';
import { mainJobFinalRecipe } from './mainJobFinalRecipe';
import {
  answerText,
  binOrder,
  budgetAnswers,
  frontOf,
  latencyBins,
  stratifiedPlan,
  type LatencyBin,
  type NetworkRuns,
} from './spaceFrontPlan';
import { loadDataSource } from '../src/data/dataSource';
import { predictLatency, readLatencyTable } from '../src/latency/latencyTable';
import { functionEvaluator } from '../src/evaluate/functionEvaluator';
import { Rng } from '../src/random/rng';
import { deriveSeed, hashString } from '../src/random/seeds';
import { finalTrainingSeed } from '../src/random/studySeeds';
import { renderVegaLite } from '../src/report/vegaSvg';
import { registerStrategy } from '../src/search/registry';
import { createStudy } from '../src/search/study';
import type { StrategyPlugin } from '../src/search/strategyPlugin';
import { archFromIndices, formatArch, parseArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { spreadOf, mean, welchTTest } from '../src/stats/welch';
import { stateKey } from '../src/study/stateKey';
import { waitFor, type AskContext, type Proposal, type Strategy, type Wait } from '../src/study/strategy';
import { trialKey, type TrialRecord } from '../src/study/types';
import { kindColor } from './chartColor';

const BASELINE = 'fbnet-s-baseline';
/** The main job's final training (scripts/main.sh: --final-epochs 2, no --final-limit-train, no recipe). */
/** The budgets answered (the issue's 0.5x-0.7x, and 0.8x, 0.9x: where the main job can go when those fail). */
const FRACTIONS = [0.5, 0.6, 0.7, 0.8, 0.9];

const frontOptions = z.object({
  bins: z.number().int().min(1).default(12),
  perBin: z.number().int().min(1).default(5),
  above: z.number().int().min(0).default(6),
  aboveTo: z.number().gt(1).default(1.3),
  extraSeeds: z.number().int().min(0).default(2),
});
type FrontOptions = z.infer<typeof frontOptions>;

interface StoredPlan {
  baselineUs: number;
  minUs: number;
  bins: LatencyBin[];
  items: Array<{ arch: string; bin: number; latencyUs: number }>;
}
const PLAN = stateKey<StoredPlan>('spaceFront.plan');

/** Run k of network `name` (the baseline's name, else its architecture string) trains with this seed. */
const runSeed = (studySeed: number, name: string, k: number) => finalTrainingSeed(studySeed, k, name);

/** Proposes the plan's trainings in order, each (architecture, seed) once; null when all are settled. */
class SpaceFront implements Strategy {
  readonly name = 'space-front';
  /**
   * `retrain`: the main job's searched networks (canonical architecture strings) to train at every
   * seed too, set apart from the random ones (not in the front, not in the answers).
   */
  constructor(
    private readonly o: FrontOptions,
    private readonly retrain: readonly string[] = [],
    /** `--also`: other benches' networks (e.g. each method's result) to train at every seed, set apart too. */
    private readonly also: readonly string[] = [],
  ) {}

  private plan(ctx: AskContext): StoredPlan {
    const stored = ctx.state.get(PLAN);
    if (stored) return stored;
    const space = ctx.space;
    const baselineUs = ctx.costs.costs(parseArch(space, space.architectures[BASELINE]!)).latencyUs!;
    const minUs = ctx.costs.minimum('latency').value;
    const bins = latencyBins(minUs, baselineUs, this.o.bins, this.o.above, this.o.aboveTo * baselineUs);
    const perBin = bins.map((b) => (b.kind === 'range' ? this.o.perBin : 1));
    const order = binOrder(bins, 0.6 * baselineUs);
    const rng = new Rng(deriveSeed(ctx.seed, hashString('space-front-plan')));
    const latency = (idx: readonly number[]) => ctx.costs.costs(archFromIndices(space, idx)).latencyUs!;
    const sizes = space.searchDims.map((d) => d.values.length);
    const cheapest = space.searchDims.map((d) => d.values.findIndex((v) => String(v) === 'skip'));
    // Rounds of every bin, then the bins of the range alone (the bins above get one each).
    const first = stratifiedPlan({ sizes, cheapest, latency, bins, perBin: 1, order, rng });
    const rest = stratifiedPlan({
      sizes,
      cheapest,
      latency,
      bins,
      perBin: Math.max(...perBin) - 1,
      order: order.filter((b) => perBin[b]! > 1),
      rng,
    });
    const seen = new Set<string>();
    const items = [...first, ...rest]
      .map((p) => ({ arch: formatArch(space, archFromIndices(space, p.indices)), bin: p.bin, latencyUs: p.latencyUs }))
      .filter((p) => !seen.has(p.arch) && (seen.add(p.arch), true));
    const plan = { baselineUs, minUs, bins, items };
    ctx.state.set(PLAN, plan);
    return plan;
  }

  ask(ctx: AskContext): Proposal | Wait | null {
    const space = ctx.space;
    const plan = this.plan(ctx);
    const baselineArch = formatArch(space, parseArch(space, space.architectures[BASELINE]!));
    // A training is asked once: settled, or running in another worker (both in `seen`).
    const wanted = (arch: string, name: string, k: number, source: string): Proposal | null => {
      const seed = runSeed(ctx.seed, name, k);
      return ctx.seen.has(trialKey({ arch, searchedRecipe: { seed } }))
        ? null
        : { arch: parseArch(space, arch), source, recipe: { seed } };
    };
    /** The first training not asked yet of runs `from`..extraSeeds of these networks (with the baseline's), seed by seed. */
    const moreSeeds = (nets: readonly NetworkRuns[], source: string, from = 1, baseline = true): Proposal | null => {
      for (let k = from; k <= this.o.extraSeeds; k++) {
        const next = [
          baseline ? wanted(baselineArch, BASELINE, k, 'baseline') : null,
          ...nets.map((n) => wanted(n.arch, n.arch, k, source)),
        ].find((p) => p !== null);
        if (next) return next;
      }
      return null;
    };
    const all = networkRuns(ctx.history, space.architectures[BASELINE]!, ctx.seed, this.o.extraSeeds + 1, space);
    const apart = new Set([...this.retrain, ...this.also, ...alsoInStore(ctx.history)]);
    const runs = { ...all, networks: all.networks.filter((n) => !apart.has(n.arch)) };
    const baselineFirst = wanted(baselineArch, BASELINE, 0, 'baseline');
    if (baselineFirst) return baselineFirst;
    // After about a round (a network per bin): the baseline's and each budget's best network's more seeds
    // come before more first runs, so that a run stopped early still answers every budget over
    // seeds (the best so far); a network that becomes a budget's best later gets them then.
    if (runs.baseline && runs.networks.length >= plan.bins.length - 1) {
      const next = moreSeeds(budgetBests(runs.networks, runs.baseline.latencyUs), 'budget best');
      if (next) return next;
    }
    // The main job's searched networks at every seed: is its result the baseline's equal over seeds?
    if (runs.baseline) {
      const searched = this.retrain.map((arch) => ({ arch, latencyUs: 0, accs: [] }));
      const next =
        moreSeeds(searched, 'main job result', 0, false) ??
        moreSeeds(
          this.also.map((arch) => ({ arch, latencyUs: 0, accs: [] })),
          'also',
          0,
          false,
        );
      if (next) return next;
    }
    const first = plan.items.map((p) => wanted(p.arch, p.arch, 0, `bin ${p.bin}`)).find((p) => p !== null);
    if (first) return first;
    // Only a first run still training holds the front back (not another worker's more seeds).
    if (ctx.pending?.some((t) => t.source?.startsWith('bin ')))
      return waitFor('the front is taken once every first run is trained');
    // Every first run is settled: the front on them, and the baseline, again at more seeds.
    return moreSeeds(frontOf(runs.networks), 'front');
  }

  tell(): void {}
}

/** Each budget's (FRACTIONS x the baseline's latency) best network by its first run, each once. */
function budgetBests(networks: readonly NetworkRuns[], baselineUs: number): NetworkRuns[] {
  const bests = FRACTIONS.map((f) =>
    networks
      .filter((n) => n.latencyUs <= f * baselineUs && n.accs.length > 0)
      .reduce<NetworkRuns | null>((b, n) => (!b || n.accs[0]! > b.accs[0]! ? n : b), null),
  );
  return [...new Set(bests.filter((n): n is NetworkRuns => n !== null))];
}

/** The searched networks the strategy trains at every seed (set by main from `--retrain`). */
let retrainSearched: string[] = [];
/** The networks of `--also` files, trained at every seed (set by main). */
let alsoTrained: Array<{ label: string; arch: string }> = [];

/** The architectures trained for `--also` in an earlier run: apart from the front with or without the flag. */
function alsoInStore(trials: readonly TrialRecord[]): string[] {
  return trials.filter((t) => t.source === 'also').map((t) => t.arch);
}

const spaceFrontStrategy: StrategyPlugin<FrontOptions> = {
  name: 'space-front',
  description:
    "random architectures stratified over table latency, then the front's and the baseline's runs at more seeds",
  options: frontOptions,
  create: (o) =>
    new SpaceFront(
      o,
      retrainSearched,
      alsoTrained.map((n) => n.arch),
    ),
};

/** The complete trials as networks (runs in seed order: run 0, 1, 2), the baseline apart. */
function networkRuns(
  trials: readonly TrialRecord[],
  baselineText: string,
  studySeed: number,
  runsEach: number,
  space: ReturnType<typeof loadSpace>,
): { networks: NetworkRuns[]; baseline: NetworkRuns | null; seconds: number[] } {
  const baselineArch = formatArch(space, parseArch(space, baselineText));
  const by = new Map<string, { latencyUs: number; accs: Array<number | undefined> }>();
  const seconds: number[] = [];
  for (const t of trials) {
    if (t.state !== 'complete' || t.metrics.testAcc === undefined) continue;
    const name = t.arch === baselineArch ? BASELINE : t.arch;
    const k = Array.from({ length: runsEach }, (_, i) => i).find(
      (i) => runSeed(studySeed, name, i) === t.searchedRecipe?.seed,
    );
    if (k === undefined) continue;
    const e = by.get(t.arch) ?? { latencyUs: t.costs.latencyUs!, accs: [] };
    e.accs[k] = t.metrics.testAcc;
    by.set(t.arch, e);
    if (t.metrics.seconds !== undefined) seconds.push(t.metrics.seconds);
  }
  const all = [...by.entries()].map(([arch, e]) => {
    // Runs in order, up to the first missing one (without run 0 a network has none yet).
    const accs: number[] = [];
    for (const a of e.accs) {
      if (a === undefined) break;
      accs.push(a);
    }
    return { arch, latencyUs: e.latencyUs, accs };
  });
  return {
    networks: all.filter((n) => n.arch !== baselineArch),
    baseline: all.find((n) => n.arch === baselineArch) ?? null,
    seconds,
  };
}

/** The final recipe of run k: the main job's, with that run's seeds. */

interface Searched {
  label: string;
  arch: string;
  testAcc: number;
}

async function main(): Promise<void> {
  const out = arg('out', 'bench/results/space-front.json');
  const svgOut = arg('svg', 'docs/img/space-front.svg');
  const storeFile = arg('store', 'runs/space-front/tsnas.db');
  const lut = arg('lut', path.join(path.dirname(storeFile), 'fbnet-s-1x28x28-t1.lut.json'));
  const seed = num('seed', 0);
  const threads = num('threads', 1);
  const reportOnly = process.argv.includes('--report');
  const workers = num('workers', 1);
  const workerMode = process.argv.includes('--worker');
  const searchedFile = arg('searched', 'bench/tables/main-job-searched.json');
  const options: FrontOptions = frontOptions.parse({
    bins: num('bins', 12),
    perBin: num('per-bin', 5),
    above: num('above', 6),
    aboveTo: num('above-to', 1.3),
    extraSeeds: num('extra-seeds', 2),
  });
  fs.mkdirSync(path.dirname(storeFile), { recursive: true });
  if (!fs.existsSync(lut)) {
    console.error(`space-front: no latency table at ${lut}; measuring one as scripts/main.sh does`);
    execFileSync(
      process.execPath,
      ['bin/tsnas.js', 'lut', 'build', 'fbnet-s', '--input', '1x28x28', '--threads', '1', '-o', lut],
      { stdio: 'inherit' },
    );
  }
  const space = loadSpace('fbnet-s');
  const searched: Searched[] = fs.existsSync(searchedFile)
    ? (JSON.parse(fs.readFileSync(searchedFile, 'utf8')) as { networks: Searched[] }).networks
    : [];
  const retrainLabels = arg('retrain', '0.5x');
  const canonical = (a: string) => formatArch(space, parseArch(space, a));
  retrainSearched = searched
    .filter((n) => retrainLabels.split(',').some((l) => l && n.label.startsWith(`${l} `)))
    .map((n) => canonical(n.arch));
  // `--also FILE[,FILE]`: networks of other benches (the same { networks: [{ label, arch }] } form),
  // trained at every seed and summarized apart (`also` in the JSON), neither in the front nor charted.
  alsoTrained = arg('also', '')
    .split(',')
    .filter(Boolean)
    .flatMap(
      (f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { networks: Array<{ label: string; arch: string }> }).networks,
    )
    .map((n) => ({ label: n.label, arch: canonical(n.arch) }));
  registerStrategy(spaceFrontStrategy);
  const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
  let data: ReturnType<typeof loadDataSource> | null = null;
  const evaluator = functionEvaluator(
    async (trial) => {
      data ??= loadDataSource('fashion-mnist', { input: space.input });
      const runSeedOf = trial.recipe?.seed as number;
      const recipe = mainJobFinalRecipe(seed, runSeedOf, data.train.count);
      const { trainArchitecture } = await import('../src/train/trainArchitecture');
      const t0 = performance.now();
      const r = trainArchitecture({
        space,
        spaceRef: 'fbnet-s',
        arch: trial.arch,
        recipe,
        data,
        test: true,
        checkpointDir: path.join(
          trial.studyDir,
          'runs',
          `${trial.archText.replace(/[^A-Za-z0-9_-]+/g, '.')}-s${runSeedOf}`,
        ),
        threads,
        // Every batch: a worker's epoch outlasts the 60 s after which the others take its trial as lost.
        onProgress: () => trial.heartbeat(),
        onEpoch: (m) => {
          trial.report(m.epoch, { loss: m.loss, trainAcc: m.trainAcc });
          trial.log(
            `  epoch ${m.epoch}: loss ${m.loss.toFixed(4)}, training accuracy ${(m.trainAcc * 100).toFixed(2)}%, ${m.seconds.toFixed(0)} s`,
          );
        },
      });
      if (r.status === 'failed' || r.testAcc === null)
        throw new Error(`training failed: ${r.error ?? 'no test accuracy'}`);
      return {
        testAcc: r.testAcc,
        trainAcc: r.epochs.at(-1)?.trainAcc ?? NaN,
        seconds: (performance.now() - t0) / 1000,
        resumedFrom: r.resumedFrom,
      };
    },
    {
      name: 'final-recipe',
      metrics: ['testAcc', 'trainAcc', 'seconds', 'resumedFrom'],
      decode: { input: [1, 28, 28], classes: 10 },
      description:
        "the main job's final recipe (2 epochs, all 60,000 images, EMA), test accuracy on the 10,000 test images",
    },
  );
  const planned = 1 + options.bins * options.perBin + options.above;
  const study = await createStudy({
    store: storeFile,
    name: `space-front-s${seed}`,
    loadIfExists: true,
    space: 'fbnet-s',
    strategy: 'space-front',
    strategyOptions: options,
    evaluator,
    objective: 'testAcc',
    lut,
    seed,
    // An upper bound: the strategy ends the study when its plan is done.
    trials: planned * (1 + options.extraSeeds),
    log,
  });
  if (workerMode) {
    // One of the workers the command below started: it takes trainings beside the others.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && process.exit(1), 2000).unref();
    try {
      await study.optimize(evaluator, { worker: true, threads, log });
    } finally {
      study.close();
    }
    return;
  }
  try {
    if (!reportOnly && workers > 1) await runWorkerProcesses(workers, log);
    else if (!reportOnly) await study.optimize(evaluator, { log });
    const trials = study.trials();
    const runs = networkRuns(trials, space.architectures[BASELINE]!, seed, options.extraSeeds + 1, space);
    const plan = study.store.getState(study.record.id, PLAN) ?? null;
    const costOf = (arch: string) =>
      trials.find((t) => t.arch === formatArch(space, parseArch(space, arch)))?.costs.latencyUs ??
      latencyOfArch(study.config.lut!, arch);
    const apart = new Set([...retrainSearched, ...alsoTrained.map((n) => n.arch), ...alsoInStore(trials)]);
    const summary = summarize(
      { ...runs, networks: runs.networks.filter((n) => !apart.has(n.arch)) },
      plan,
      options,
      searched.map((s) => ({
        ...s,
        latencyUs: costOf(s.arch),
        accs: runs.networks.find((n) => n.arch === canonical(s.arch))?.accs ?? [],
      })),
      alsoTrained.map((n) => ({
        ...n,
        latencyUs: costOf(n.arch),
        accs: runs.networks.find((r) => r.arch === n.arch)?.accs ?? [],
      })),
      {
        seed,
        lut,
        store: storeFile,
        command: `node dist/bench/spaceFront.js ${process.argv
          .slice(2)
          .filter((a) => a !== '--report')
          .join(' ')}`.trim(),
      },
    );
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(summary, null, 1)}\n`);
    const svg = await renderVegaLite(chartSpec(summary));
    fs.mkdirSync(path.dirname(svgOut), { recursive: true });
    fs.writeFileSync(svgOut, svg.svg);
    for (const line of summary.answers.map((a) => a.text)) console.log(line);
    console.log(
      `space-front: ${summary.trained.networks} networks trained (${summary.trained.runs} runs, ${summary.trained.repeated} at ${options.extraSeeds + 1} seeds), ` +
        `the baseline ${summary.baseline?.accs.length ?? 0} times; median ${summary.trained.medianSeconds?.toFixed(0) ?? '?'} s a training; ${out}, ${svgOut}`,
    );
  } finally {
    study.close();
  }
}

/**
 * `--workers N`: this command's flags again in N processes, each one worker of the study (the
 * trainings shared out through the store); the threads are each worker's. Returns when all end.
 */
async function runWorkerProcesses(n: number, log: (line: string) => void): Promise<void> {
  const args = process.argv.slice(1).filter((a, i, all) => a !== '--workers' && all[i - 1] !== '--workers');
  log(`space-front: ${n} worker processes`);
  const codes = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, [...args, '--worker'], { stdio: ['ignore', 'inherit', 'pipe'] });
      readline
        .createInterface({ input: child.stderr! })
        .on('line', (line) => console.error(`[worker ${i + 1}] ${line}`));
      return new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    }),
  );
  if (codes.some((c) => c !== 0))
    throw new Error(`space-front: worker exit codes ${codes.join(', ')}; their lines are above`);
}

/** A latency of an architecture on the table (for the searched networks the study never trained). */
function latencyOfArch(lut: string, arch: string): number {
  const space = loadSpace('fbnet-s');
  return predictLatency(readLatencyTable(lut), space, parseArch(space, arch));
}

function summarize(
  runs: ReturnType<typeof networkRuns>,
  plan: StoredPlan | null,
  o: FrontOptions,
  searched: Array<Searched & { latencyUs: number; accs: number[] }>,
  also: Array<{ label: string; arch: string; latencyUs: number; accs: number[] }>,
  meta: Record<string, unknown>,
) {
  const baseline = runs.baseline;
  const answers = baseline
    ? budgetAnswers(runs.networks, baseline, FRACTIONS, o.extraSeeds + 1).map((a) => ({ ...a, text: answerText(a) }))
    : [];
  const secs = [...runs.seconds].sort((a, b) => a - b);
  return {
    what: "fbnet-s architectures trained with the main job's final recipe (2 epochs on all 60,000 Fashion-MNIST training images, default recipe, EMA 1 - 10 / steps), test accuracy on the 10,000 test images; table latency on the main job's table",
    ...meta,
    options: o,
    plan: plan ? { baselineUs: plan.baselineUs, minUs: plan.minUs, bins: plan.bins, planned: plan.items.length } : null,
    trained: {
      networks: runs.networks.length,
      runs: runs.seconds.length,
      repeated: runs.networks.filter((n) => n.accs.length > o.extraSeeds).length,
      medianSeconds: secs.length ? secs[Math.floor((secs.length - 1) / 2)]! : null,
    },
    baseline: baseline ? { ...baseline, spread: spreadOf(baseline.accs) } : null,
    front: frontOf(runs.networks, 'first').map((n) => n.arch),
    frontByMean: frontOf(
      runs.networks.filter((n) => n.accs.length > o.extraSeeds),
      'mean',
    ).map((n) => n.arch),
    answers,
    networks: runs.networks.map((n) => ({ ...n, mean: mean(n.accs) })),
    searched: searched.map((n) => ({
      ...n,
      vsBaseline: baseline && n.accs.length ? retrainedText(n, baseline) : null,
    })),
    ...(also.length ? { also } : {}),
  };
}

/** A searched network retrained at the baseline's seeds, against the baseline's mean, in a sentence. */
function retrainedText(n: Searched & { latencyUs: number; accs: number[] }, baseline: NetworkRuns): string {
  const s = spreadOf(n.accs);
  const points = (s.mean - mean(baseline.accs)) * 100;
  const test = welchTTest(n.accs, baseline.accs);
  const noise = test
    ? `${test.p < 0.05 ? 'larger than' : 'within'} the noise at p = ${test.p.toPrecision(2)} (Welch's t-test)`
    : 'no test (fewer than 2 runs)';
  return (
    `the main job's result ${n.label} (${(n.latencyUs / 1000).toFixed(2)} ms, ${(s.mean * 100).toFixed(2)}% over ${s.n} seed${s.n === 1 ? '' : 's'}` +
    `${s.n > 1 ? `, ${(s.min * 100).toFixed(2)}-${(s.max * 100).toFixed(2)}` : ''}) ${points >= 0 ? 'beats' : 'misses'} the baseline's mean ` +
    `(${(mean(baseline.accs) * 100).toFixed(2)}% over ${baseline.accs.length}) by ${Math.abs(points).toFixed(2)} points; ${noise}`
  );
}

type Summary = ReturnType<typeof summarize>;

/** The chart: every network's first run, the front, the repeated ones' means and ranges, the baseline, the budgets. */
function chartSpec(s: Summary): object {
  // Rounded as the tooltips show them (0.8988 * 100 is 89.88000000000001).
  const ms = (us: number) => Math.round(us) / 1000;
  const pct = (a: number) => Math.round(a * 1e4) / 100;
  const front = new Set(s.front);
  const points = s.networks.map((n) => ({
    latency: ms(n.latencyUs),
    acc: pct(n.accs[0]!),
    kind: front.has(n.arch) ? 'front (first run)' : 'random architecture (first run)',
    arch: n.arch,
  }));
  const repeated = s.networks
    .filter((n) => n.accs.length > 1)
    .map((n) => ({
      latency: ms(n.latencyUs),
      acc: pct(n.mean),
      lo: pct(Math.min(...n.accs)),
      hi: pct(Math.max(...n.accs)),
      kind: `mean over ${n.accs.length} seeds (range)`,
      arch: n.arch,
    }));
  const base = s.baseline
    ? [
        {
          latency: ms(s.baseline.latencyUs),
          acc: pct(s.baseline.spread.mean),
          lo: pct(s.baseline.spread.min),
          hi: pct(s.baseline.spread.max),
          kind: `fbnet-s-baseline (mean of ${s.baseline.accs.length}, range)`,
          arch: s.baseline.arch,
        },
      ]
    : [];
  // The main job's results: their issue-14 run, or their mean and range when retrained here.
  const searched = s.searched.map((n) =>
    n.accs.length > 1
      ? {
          latency: ms(n.latencyUs),
          acc: pct(mean(n.accs)),
          lo: pct(Math.min(...n.accs)),
          hi: pct(Math.max(...n.accs)),
          kind: `main job result (mean over seeds, range)`,
          arch: `${n.label}: ${n.arch}`,
        }
      : {
          latency: ms(n.latencyUs),
          acc: pct(n.testAcc),
          kind: 'main job result (one run)',
          arch: `${n.label}: ${n.arch}`,
        },
  );
  const rules = s.baseline ? FRACTIONS.map((f) => ({ latency: ms(f * s.baseline!.latencyUs), label: `${f}x` })) : [];
  const frontLine = points.filter((p) => front.has(p.arch)).sort((a, b) => a.latency - b.latency);
  const all = [...points, ...base, ...searched];
  // The axis starts 5 points below the baseline: the fastest networks, far below, are clipped
  // rather than squeezing the range the budgets are about into a sliver.
  const lowest = Math.floor(Math.min(...all.map((p) => ('lo' in p ? (p.lo as number) : p.acc))) - 0.5);
  const yMin = s.baseline ? Math.max(lowest, Math.floor(pct(s.baseline.spread.mean)) - 5) : lowest;
  const clipped = all.filter((p) => p.acc < yMin).length;
  const y = { field: 'acc', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false, domainMin: yMin } };
  const x = { field: 'latency', type: 'quantitative', title: 'table latency (ms, 1 thread, batch 1)' };
  const color = kindColor([
    'random architecture (first run)',
    'front (first run)',
    ...new Set(repeated.map((r) => r.kind)),
    ...(base.length ? [base[0]!.kind] : []),
    ...new Set(searched.map((r) => r.kind)),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: "fbnet-s on Fashion-MNIST: the space's front under the main job's final recipe",
      subtitle: `${s.networks.length} random architectures (first run each${clipped ? `; ${clipped} below ${yMin}% off the chart` : ''}), the repeated ones' means and ranges over seeds; dashed: ${FRACTIONS.map((f) => `${f}x`).join(', ')} the baseline's latency`,
    },
    width: 640,
    height: 380,
    layer: [
      {
        data: { values: rules },
        mark: { clip: true, type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { x },
      },
      {
        data: { values: rules },
        mark: { clip: true, type: 'text', align: 'left', dx: 3, color: '#555', fontSize: 11 },
        encoding: { x, y: { value: 8 }, text: { field: 'label' } },
      },
      {
        data: { values: frontLine },
        mark: { clip: true, type: 'line', interpolate: 'step-after', color: '#222', strokeWidth: 1, opacity: 0.6 },
        encoding: { x, y },
      },
      {
        data: { values: points },
        mark: { clip: true, type: 'point', filled: true, size: 36, opacity: 0.8 },
        encoding: { x, y, color, tooltip: [{ field: 'arch' }, { field: 'acc' }, { field: 'latency' }] },
      },
      {
        data: { values: [...repeated, ...base] },
        mark: { clip: true, type: 'rule', strokeWidth: 2 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        data: { values: [...repeated, ...base] },
        mark: { clip: true, type: 'tick', thickness: 2, size: 14 },
        encoding: { x, y, color },
      },
      {
        data: { values: searched.filter((p) => 'lo' in p) },
        mark: { clip: true, type: 'rule', strokeWidth: 2 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        data: { values: searched },
        mark: { clip: true, type: 'point', shape: 'diamond', filled: true, size: 80 },
        encoding: { x, y, color, tooltip: [{ field: 'arch' }, { field: 'acc' }] },
      },
    ],
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
