// Every method at equal compute (issue 25, item 5; NASLib's question on tsnas's own task): random
// search, regularized evolution, DNAS, NARS, SPOS and NSE, each given the same wall-clock budget of
// search on one core (`--minutes`, Optuna's timeout: no trial starts after it) and the same latency
// budget (`--fraction` x fbnet-s-baseline's table latency on the main job's table, a constraint on
// every trained candidate), at `--seeds` search seeds each. Each run's result is its study's best
// trained candidate by validation accuracy (the same rule for every method; a candidate is trained
// as the main job trains its candidates: 3 epochs on 6,000 images). The results are then trained
// with the main job's final recipe at 3 seeds by the space-front bench (bench/spaceFront.ts
// `--also`, the same trainings and seeds as the front's random networks), and placed on its front.
//
//   node dist/bench/methodsAtEqualCompute.js [--lut runs/space-front/fbnet-s-1x28x28-t1.lut.json]
//     [--store runs/methods/tsnas.db] [--minutes 10] [--fraction 0.5] [--seeds 0,1]
//     [--methods random,evolution,dnas,nars,spos,nse] [--workers 2] [--threads 1]
//     [--searched bench/tables/methods-searched.json] [--results bench/results/methods-equal-compute]
//   node dist/bench/spaceFront.js --also bench/tables/methods-searched.json --workers 2 ...   (the final trainings)
//   node dist/bench/methodsAtEqualCompute.js --report [--front bench/results/space-front.json]
//     [--out bench/results/methods-equal-compute.json] [--svg docs/img/methods-equal-compute.svg]
//
// Resumable: a finished search run leaves its result in `--results`/<study>.result.json (default
// bench/results/methods-equal-compute/, committed with a copy of the searches' store) and is not
// run again; a search killed midway is resumed from its store with the budget it has left (its
// recorded search seconds subtracted). `--workers N` runs N searches at once, each its own process
// (`--threads` each): on 2 cores, 2 searches of 1 thread each, so every method gets one core for
// `--minutes`.
//
// Each method's settings are sized to the budget (a user would size them so): the sample-based
// methods (random, evolution, NARS) train candidates until the timeout; the weight-sharing ones
// (DNAS, SPOS, NSE) spend most of it on their supernet (their `prepare`, which the timeout does
// not cut: 5.5-7 of the 10 minutes here) and the rest on training their proposals. METHODS below
// says each one's. The run's best-so-far times (`bests`) are this process's: a resumed run
// records only those after the resume.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { arg, num } from './args';
import { predictLatency, readLatencyTable } from '../src/latency/latencyTable';
import { renderVegaLite } from '../src/report/vegaSvg';
import { createStudy } from '../src/search/study';
import { formatArch, parseArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { median } from '../src/stats/quantiles';
import { mean, spreadOf, welchTTest } from '../src/stats/welch';
import type { TrialRecord } from '../src/study/types';
import { kindColor } from './chartColor';

const BASELINE = 'fbnet-s-baseline';
/** The main job's candidate training (scripts/main.sh: --train-epochs 3 --limit-train 6000). */
const CANDIDATE_TRAINING = { epochs: 3, limitTrain: 6000 };

interface MethodPlan {
  strategy: string;
  /** What the settings are, in words (the report's table). */
  settings: string;
  options: (targetUs: number) => Record<string, unknown>;
  /** Complete trials to end with (an upper bound where the timeout ends the run). */
  trials: number;
  /**
   * Settings changed after a run: a new study name (`<method>-r<revision>-...`), so that the store
   * keeps the earlier run (its result set aside) and a resume never mixes the two.
   */
  revision?: number;
}

/**
 * Each method's settings for a 10-minute budget on one core. DNAS keeps the main job's search (4
 * supernet epochs on 4,000 images, temperature 5 -> 1.5) with more samples for the time left; SPOS
 * 15 epochs of one-path training on 12,000 images and a smaller evolution (20 x 8 on 1,200
 * validation images) than the authors' 50 x 20; NSE its 4 rounds on fbnet-s at 4 epochs on 8,000
 * images, the rounds' choices trained too (the final one alone can miss the latency budget; at 2
 * epochs on 4,000, revision 1, its whole search took 159 s of the 600); NARS
 * 18 candidates in 3 rounds (its rounds divide a fixed number of trials, so the number is what fits
 * the budget); regularized evolution a population of 10 and tournaments of 3 (20 and 5 make it random
 * search for the ~20 candidates a budget holds).
 */
const METHODS: Record<string, MethodPlan> = {
  random: { strategy: 'random', settings: 'uniform within the budget', options: () => ({}), trials: 1000 },
  evolution: {
    strategy: 'evolution',
    settings: 'population 10, tournament 3',
    options: () => ({ population: 10, sampleSize: 3 }),
    trials: 1000,
  },
  dnas: {
    strategy: 'dnas',
    settings: "the main job's search (4 epochs on 4,000 images, tau 5 -> 1.5, theta lr 0.1, beta 0.6), 10 samples",
    options: (targetUs) => ({
      epochs: 4,
      warmup: 1,
      tauDecay: Number((Math.log(5 / 1.5) / 3).toPrecision(3)),
      thetaLr: 0.1,
      beta: 0.6,
      limitTrain: 4000,
      targetLatency: targetUs,
      samples: 10,
    }),
    trials: 11,
  },
  nars: {
    strategy: 'nars',
    settings: '18 candidates in 3 rounds (fbnet-s has no recipe fields: the architecture alone)',
    options: () => ({ rounds: 3 }),
    trials: 18,
  },
  spos: {
    strategy: 'spos',
    settings: '15 epochs on 12,000 images, evolution 20 x 8 on 1,200, 10 paths trained',
    options: () => ({
      epochs: 15,
      limitTrain: 12000,
      valFraction: 0.1,
      population: 20,
      generations: 8,
      parents: 5,
      mutants: 10,
      crossovers: 10,
      recalBatches: 5,
      retrain: 10,
    }),
    trials: 10,
  },
  nse: {
    strategy: 'nse',
    settings: '4 rounds of 4 epochs on 8,000 images, latency penalty 1, the rounds chosen trained',
    options: () => ({ epochs: 4, limitTrain: 8000, cost: 'latency', roundTrials: true }),
    revision: 2,
    trials: 5,
  },
};

interface RunResult {
  method: string;
  seed: number;
  study: string;
  arch: string;
  latencyUs: number;
  valAcc: number;
  /** Wall seconds from the run's start until it ended (its prepare, its trials, its finalize). */
  searchSeconds: number;
  /** Seconds until the first trained candidate, and each new best by validation accuracy. */
  bests: Array<{ seconds: number; valAcc: number; arch: string }>;
  candidates: number;
  stopped: string;
}

const storeFile = arg('store', 'runs/methods/tsnas.db');
const lut = arg('lut', 'runs/space-front/fbnet-s-1x28x28-t1.lut.json');
const minutes = num('minutes', 10);
const fraction = num('fraction', 0.5);
const threads = num('threads', 1);
/** Each finished search's result, committed, so that `--report` runs on a fresh clone. */
const resultsDir = arg('results', 'bench/results/methods-equal-compute');
const resultFile = (study: string) => path.join(resultsDir, `${study}.result.json`);
const studyName = (method: string, seed: number) =>
  `${method}${METHODS[method]?.revision ? `-r${METHODS[method]!.revision}` : ''}-${fraction}x-${minutes}min-s${seed}`;
const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);

function targetUs(): number {
  const space = loadSpace('fbnet-s');
  const table = readLatencyTable(lut);
  return Math.floor(fraction * predictLatency(table, space, parseArch(space, space.architectures[BASELINE]!)));
}

/** One search run (a child process): the study, resumed if it exists, with what is left of the budget. */
async function searchRun(method: string, seed: number): Promise<void> {
  const plan = METHODS[method];
  if (!plan) throw new Error(`unknown method '${method}' (methods: ${Object.keys(METHODS).join(', ')})`);
  const name = studyName(method, seed);
  const target = targetUs();
  const spent = path.join(path.dirname(storeFile), `${name}.spent.json`);
  const before = fs.existsSync(spent) ? (JSON.parse(fs.readFileSync(spent, 'utf8')) as { seconds: number }).seconds : 0;
  const t0 = performance.now();
  const seconds = () => before + (performance.now() - t0) / 1000;
  // Every 10 s: a killed run resumes with the budget it has left.
  const tick = setInterval(() => fs.writeFileSync(spent, JSON.stringify({ seconds: seconds() })), 10000);
  const study = await createStudy({
    store: storeFile,
    name,
    loadIfExists: true,
    space: 'fbnet-s',
    strategy: plan.strategy,
    strategyOptions: plan.options(target),
    data: 'fashion-mnist',
    train: { ...CANDIDATE_TRAINING, threads },
    constraints: [`latency<=${target}`],
    lut,
    seed,
    trials: plan.trials,
    log,
  });
  const bests: RunResult['bests'] = [];
  try {
    const left = minutes * 60 - before;
    const r = await study.optimize(undefined, {
      timeout: Math.max(1, left),
      log,
      onTrial: (t, best) => {
        if (best && best.number === t.number)
          bests.push({ seconds: seconds(), valAcc: best.metrics.accuracy!, arch: best.arch });
      },
    });
    clearInterval(tick);
    const complete = study.trials({ state: 'complete' });
    const best = complete.reduce<TrialRecord | null>(
      (b, t) => (!b || t.metrics.accuracy! > b.metrics.accuracy! ? t : b),
      null,
    );
    if (!best) throw new Error(`${name}: no trained candidate within ${minutes} min (stopped: ${r.stopped})`);
    const result: RunResult = {
      method,
      seed,
      study: name,
      arch: best.arch,
      latencyUs: best.costs.latencyUs!,
      valAcc: best.metrics.accuracy!,
      searchSeconds: seconds(),
      bests,
      candidates: complete.length,
      stopped: String(r.stopped),
    };
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.writeFileSync(resultFile(name), `${JSON.stringify(result, null, 1)}\n`);
    log(`${name}: ${complete.length} candidates in ${result.searchSeconds.toFixed(0)} s; result ${best.arch}`);
  } finally {
    clearInterval(tick);
    study.close();
  }
}

/** The search runs not finished yet, `workers` at a time, each in its own process. */
async function searchAll(methods: string[], seeds: number[], workers: number): Promise<void> {
  const todo = seeds
    .flatMap((seed) => methods.map((method) => ({ method, seed })))
    .filter((r) => !fs.existsSync(resultFile(studyName(r.method, r.seed))));
  log(`methods: ${todo.length} search run(s) to go, ${workers} at a time, ${minutes} min each`);
  const failed: string[] = [];
  const runOne = async (): Promise<void> => {
    for (let r = todo.shift(); r; r = todo.shift()) {
      const tag = `${r.method} s${r.seed}`;
      const child = spawn(
        process.execPath,
        [...process.argv.slice(1).filter((a) => a !== '--report'), '--run', `${r.method}:${r.seed}`],
        { stdio: ['ignore', 'inherit', 'pipe'] },
      );
      readline.createInterface({ input: child.stderr! }).on('line', (line) => console.error(`[${tag}] ${line}`));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (code !== 0) failed.push(`${tag} (exit ${code})`);
    }
  };
  await Promise.all(Array.from({ length: workers }, runOne));
  if (failed.length) throw new Error(`methods: search runs failed: ${failed.join(', ')}; their lines are above`);
}

/** The results as the space-front bench's `--also` file: each to be trained at its seeds. */
function writeSearched(file: string): RunResult[] {
  const dir = resultsDir;
  const results = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.result.json'))
        .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunResult)
        .filter((r) => r.study === studyName(r.method, r.seed))
    : [];
  results.sort((a, b) => a.method.localeCompare(b.method) || a.seed - b.seed);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const what = `the results of bench/methodsAtEqualCompute.ts (${minutes} min of search on 1 core each, latency <= ${fraction}x fbnet-s-baseline's table latency)`;
  const networks = results.map((r) => ({ label: `${r.method} seed ${r.seed}`, arch: r.arch }));
  fs.writeFileSync(file, `${JSON.stringify({ what, networks }, null, 1)}\n`);
  return results;
}

interface FrontSummary {
  baseline: { latencyUs: number; accs: number[] };
  networks: Array<{ arch: string; latencyUs: number; accs: number[]; mean: number }>;
  front: string[];
  answers: Array<{ fraction: number; text: string }>;
  also?: Array<{ label: string; arch: string; latencyUs: number; accs: number[] }>;
}

/** The table, the JSON and the chart from the search results and the front's trainings of them. */
async function report(results: RunResult[]): Promise<void> {
  const frontFile = arg('front', 'bench/results/space-front.json');
  const out = arg('out', 'bench/results/methods-equal-compute.json');
  const svgOut = arg('svg', 'docs/img/methods-equal-compute.svg');
  const front = JSON.parse(fs.readFileSync(frontFile, 'utf8')) as FrontSummary;
  const space = loadSpace('fbnet-s');
  const canonical = (a: string) => formatArch(space, parseArch(space, a));
  const trained = new Map((front.also ?? []).map((n) => [canonical(n.arch), n.accs]));
  const base = front.baseline.accs;
  const budgetUs = fraction * front.baseline.latencyUs;
  // The best random network of the front within the budget, by mean over its seeds.
  const within = front.networks.filter((n) => n.latencyUs <= budgetUs && n.accs.length > 1);
  const frontBest = within.reduce<(typeof within)[number] | null>((b, n) => (!b || n.mean > b.mean ? n : b), null);
  const rows = results.map((r) => {
    const accs = trained.get(canonical(r.arch)) ?? [];
    const s = accs.length ? spreadOf(accs) : null;
    const t = accs.length > 1 ? welchTTest(accs, base) : null;
    return {
      ...r,
      settings: METHODS[r.method]?.settings ?? '',
      accs,
      mean: s?.mean ?? null,
      vsBaseline: s ? (s.mean - mean(base)) * 100 : null,
      pBaseline: t?.p ?? null,
      vsFrontBest: s && frontBest ? (s.mean - frontBest.mean) * 100 : null,
      firstCandidateSeconds: r.bests[0]?.seconds ?? null,
      // What the run would have returned with half the budget: its best by then (validation).
      halfBudgetBest: r.bests.filter((b) => b.seconds <= (minutes * 60) / 2).at(-1) ?? null,
    };
  });
  const methods = [...new Set(rows.map((r) => r.method))];
  const pooled = (m: string) => rows.filter((r) => r.method === m).flatMap((r) => r.accs);
  const perMethod = methods.map((m) => {
    const mine = rows.filter((r) => r.method === m && r.mean !== null);
    const accs = pooled(m);
    // Against random search's final trainings, pooled over search seeds (each run's 3 trainings
    // count as draws: with 2 search seeds the search's own spread is barely sampled).
    const vsRandom = m !== 'random' && accs.length > 1 ? welchTTest(accs, pooled('random')) : null;
    return {
      method: m,
      runs: mine.length,
      mean: accs.length ? mean(accs) : null,
      vsBaseline: accs.length ? (mean(accs) - mean(base)) * 100 : null,
      vsFrontBest: accs.length && frontBest ? (mean(accs) - frontBest.mean) * 100 : null,
      medianFirstCandidateSeconds: median(
        rows.filter((r) => r.method === m && r.firstCandidateSeconds !== null).map((r) => r.firstCandidateSeconds!),
      ),
      meanValAcc: mean(rows.filter((r) => r.method === m).map((r) => r.valAcc)),
      vsRandom: vsRandom && pooled('random').length ? (mean(accs) - mean(pooled('random'))) * 100 : null,
      pRandom: vsRandom?.p ?? null,
    };
  });
  const summary = {
    what: `each method ${minutes} min of search on 1 core (2 at a time on 2 cores), latency <= ${fraction}x the baseline's table latency; results trained with the main job's final recipe at the front's seeds`,
    command:
      'node dist/bench/methodsAtEqualCompute.js; node dist/bench/spaceFront.js --also bench/tables/methods-searched.json ...; node dist/bench/methodsAtEqualCompute.js --report',
    minutes,
    fraction,
    budgetUs,
    baseline: { latencyUs: front.baseline.latencyUs, accs: base, mean: mean(base) },
    frontBest: frontBest
      ? { arch: frontBest.arch, latencyUs: frontBest.latencyUs, accs: frontBest.accs, mean: frontBest.mean }
      : null,
    perMethod,
    runs: rows,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(summary, null, 1)}\n`);
  const svg = await renderVegaLite(chartSpec(summary, front));
  fs.mkdirSync(path.dirname(svgOut), { recursive: true });
  fs.writeFileSync(svgOut, svg.svg);
  for (const m of perMethod)
    console.log(
      `${m.method}: ${m.runs} run(s), mean ${m.mean === null ? '?' : (m.mean * 100).toFixed(2)}%, ${m.vsBaseline?.toFixed(2) ?? '?'} points vs the baseline, ${m.vsFrontBest?.toFixed(2) ?? '?'} vs the front's best within the budget`,
    );
  console.log(`methods: ${out}, ${svgOut}`);
}

/** The front's networks from 0.5x to 1.3x the budget, the baseline's mean, and each run's result (mean and range). */
function chartSpec(
  s: { runs: Array<RunResult & { accs: number[]; mean: number | null }>; budgetUs: number },
  front: FrontSummary,
): object {
  const ms = (us: number) => Math.round(us) / 1000;
  const pct = (a: number) => Math.round(a * 1e4) / 100;
  const baseline = pct(mean(front.baseline.accs));
  // From 4 points below the baseline's mean: what is further below is left out (its values are in the JSON).
  const yMin = Math.floor(baseline) - 4;
  const onFront = new Set(front.front);
  const points = front.networks
    .filter((n) => n.latencyUs >= 0.5 * s.budgetUs && n.latencyUs <= 1.3 * s.budgetUs && pct(n.mean) >= yMin)
    .map((n) => ({
      latency: ms(n.latencyUs),
      acc: pct(n.mean),
      kind: onFront.has(n.arch) ? 'random network on the front (mean)' : 'random network (mean of its runs)',
      arch: n.arch,
    }));
  const results = s.runs
    .filter((r) => r.mean !== null)
    .map((r) => ({
      latency: ms(r.latencyUs),
      acc: pct(r.mean!),
      lo: pct(Math.min(...r.accs)),
      hi: pct(Math.max(...r.accs)),
      kind: r.method,
      arch: `${r.method} seed ${r.seed}: ${r.arch}`,
    }));
  const methods = [...new Set(results.map((r) => r.kind))];
  const palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#9d755d', '#eeca3b'];
  const x = {
    field: 'latency',
    type: 'quantitative',
    title: 'table latency (ms, 1 thread, batch 1)',
    scale: { zero: false, domainMin: ms(0.5 * s.budgetUs), domainMax: ms(1.3 * s.budgetUs) },
  };
  const y = {
    field: 'acc',
    type: 'quantitative',
    title: 'test accuracy (%)',
    scale: { zero: false, domainMin: yMin, domainMax: Math.ceil(baseline + 0.5) },
  };
  const color = kindColor(
    [...methods, 'random network (mean of its runs)', 'random network on the front (mean)'],
    [...methods.map((_, i) => palette[i % palette.length]!), '#c8c8c8', '#777777'],
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Six methods at ${minutes} min of search each, latency <= ${fraction}x fbnet-s-baseline`,
      subtitle: `each result's mean and range over 3 final trainings; grey: the space's random networks; dashed: the budget; red: the baseline's mean, ${baseline}%`,
    },
    width: 640,
    height: 380,
    layer: [
      {
        data: { values: [{ latency: ms(s.budgetUs) }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { x },
      },
      {
        data: { values: [{ acc: baseline }] },
        mark: { type: 'rule', strokeDash: [2, 2], color: '#c33' },
        encoding: { y },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 30 },
        encoding: { x, y, color, tooltip: [{ field: 'arch' }, { field: 'acc' }] },
      },
      {
        data: { values: results },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        data: { values: results },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 90 },
        encoding: { x, y, color, tooltip: [{ field: 'arch' }, { field: 'acc' }, { field: 'latency' }] },
      },
    ],
  };
}

async function main(): Promise<void> {
  const methods = arg('methods', Object.keys(METHODS).join(',')).split(',').filter(Boolean);
  const seeds = arg('seeds', '0,1').split(',').filter(Boolean).map(Number);
  const searched = arg('searched', 'bench/tables/methods-searched.json');
  const run = arg('run', '');
  fs.mkdirSync(path.dirname(storeFile), { recursive: true });
  if (run) {
    const [method, seed] = run.split(':');
    await searchRun(method!, Number(seed));
    return;
  }
  if (!process.argv.includes('--report')) await searchAll(methods, seeds, num('workers', 2));
  const results = writeSearched(searched);
  log(
    `methods: ${results.length} result(s) in ${searched}; train them with: node dist/bench/spaceFront.js --also ${searched} --workers 2 --threads 1`,
  );
  if (process.argv.includes('--report')) await report(results);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
