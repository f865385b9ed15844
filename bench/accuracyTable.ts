// A real accuracy table of fbnet-s on Fashion-MNIST (issue 12, evidence item 1): N architectures
// (the space's named ones, then a seeded scrambled Sobol sequence over the space), each trained
// with one fixed short recipe through the project's training path (trainArchitecture), with the
// validation accuracy of a stratified held-out split, the test accuracy on the whole test set,
// FLOPs and parameters. Every `--repeat-every`-th entry (and the named ones) is trained a second
// time with another recipe seed, to measure the noise. The table is what `--evaluator table:FILE`
// reads (src/evaluate/tabular.ts): keys are architecture strings, values numbers (`accuracy` is
// the validation accuracy, `testAcc` the test accuracy: the training evaluator's metric names);
// the second seed's figures sit in a nested `seeds` object (not a metric), the budget and the
// command in `$meta`.
//
// Crash-safe: the file is rewritten (write, then rename) after every training; a rerun with the
// same arguments skips finished entries and continues. Changing the budget with an existing file
// is refused (its `$meta.budget` must match).
//
//   node dist/bench/accuracyTable.js --out bench/tables/fbnet-s-fmnist.json [--n 300]
//     [--limit-train 4000] [--epochs 2] [--val-fraction 0.2] [--batch-size 64] [--lr 0.05]
//     [--test-images 10000] [--sobol-seed 0] [--repeat-every 8] [--repeat-seed 1] [--threads 1]
//     [--recipe recipes/fashion-mnist.yaml] [--data fashion-mnist]
//   node dist/bench/accuracyTable.js --analyse bench/tables/fbnet-s-fmnist.json
//
// Seed noise: the recipe's seed sets the initialisation, the data order and augmentation, and the
// stratified split too, so the second seed's validation accuracy is measured on another validation
// split; its test accuracy is on the same test set (training noise only). The repeated entries
// are every --repeat-every-th of the Sobol sequence, which is not a random subset: a Sobol point's
// index modulo 8 fixes the top bits of its first coordinate, so with 8 they all have layer 1's
// choice 0 or 1 (ir_k3_e1, ir_k3_e1_g2). Fine for measuring noise, biased for anything else.
// --test-images N < 10000 measures test accuracy on a fixed stratified subset of N test images
// (seed 0), to save time.
import * as fs from 'node:fs';
import { makeDirs } from '../src/io/outputPath';
import * as os from 'node:os';
import * as path from 'node:path';
import { sampleSobol } from '../src/arch/sample';
import { loadDataSource } from '../src/data/dataSource';
import type { DataSource, ImageSet } from '../src/data/imageSet';
import { stratifiedSplit } from '../src/data/split';
import { formatArch, formatIndices, parseArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import type { Arch, Space } from '../src/space/types';
import { kendallTau, median, quantileSorted, spearman } from '../src/stats';
import { loadRecipe } from '../src/train/recipe';
import { trainArchitecture } from '../src/train/trainArchitecture';
import { arg, num } from './args';

const SPACE = 'fbnet-s';

export interface SeedResult {
  accuracy: number;
  testAcc: number;
  valLoss: number;
  trainAcc: number;
  seconds: number;
}

export interface TableEntry extends SeedResult {
  flops: number;
  params: number;
  /** Choice indices, for reading the table by eye. */
  indices: string;
  /** Where the entry came from: a named architecture or the Sobol sequence's index. */
  source: string;
  /** Repeats with other recipe seeds (seed -> figures); not metrics for the tabular evaluator. */
  seeds?: Record<string, SeedResult>;
}

export interface TableMeta {
  what: string;
  space: string;
  data: string;
  budget: {
    limitTrain: number;
    valFraction: number;
    trainImages: number;
    valImages: number;
    testImages: number;
    testSet: string;
    epochs: number;
    recipe: string;
    recipeFields: Record<string, unknown>;
    seed: number;
    repeatSeed: number;
    repeatEvery: number;
  };
  sampling: string;
  threads: number;
  command: string;
  started: string;
  updated: string;
  machine: string;
}

type TableFile = { $meta: TableMeta } & Record<string, TableEntry | TableMeta>;

function readTable(file: string): TableFile | null {
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TableFile;
}

function writeTable(file: string, t: TableFile): void {
  makeDirs(path.dirname(file));
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(t, null, 1) + '\n');
  fs.renameSync(tmp, file);
}

function entries(t: TableFile): [string, TableEntry][] {
  return Object.entries(t).filter(([k]) => k !== '$meta') as [string, TableEntry][];
}

/** The architectures to train, in order: the named ones, then distinct Sobol points. */
function plan(space: Space, n: number, sobolSeed: number): { arch: Arch; source: string }[] {
  const out: { arch: Arch; source: string }[] = [];
  const seen = new Set<string>();
  const add = (arch: Arch, source: string) => {
    const k = formatArch(space, arch);
    if (seen.has(k) || out.length >= n) return;
    seen.add(k);
    out.push({ arch, source });
  };
  for (const [name, text] of Object.entries(space.architectures)) add(parseArch(space, text), name);
  const sobol = sampleSobol(space, 2 * n, { seed: sobolSeed, scramble: true });
  sobol.forEach((a, i) => add(a, `sobol:${i}`));
  return out;
}

/** A seeded stratified subset of `count` images of a set (sorted indices), as a set of its own. */
function stratifiedSubset(set: ImageSet, count: number, seed: number): ImageSet {
  const idx = Array.from(stratifiedSplit(set, count / set.count, seed).val).sort((a, b) => a - b);
  const per = set.channels * set.height * set.width;
  const images = new Uint8Array(idx.length * per);
  const labels = new Uint8Array(idx.length);
  idx.forEach((j, i) => {
    images.set(set.images.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = set.labels[j]!;
  });
  return { ...set, name: `${set.name}[${idx.length} stratified, seed ${seed}]`, images, labels, count: idx.length };
}

function build(): void {
  const out = arg('out', 'bench/tables/fbnet-s-fmnist.json');
  const n = num('n', 300);
  const limitTrain = num('limit-train', 4000);
  const epochs = num('epochs', 2);
  const valFraction = num('val-fraction', 0.2);
  const sobolSeed = num('sobol-seed', 0);
  const repeatEvery = num('repeat-every', 8);
  const seed = num('seed', 0);
  const repeatSeed = num('repeat-seed', 1);
  const threads = num('threads', 1);
  const recipeFile = arg('recipe', 'recipes/fashion-mnist.yaml');
  const dataSpec = arg('data', 'fashion-mnist');
  const testImages = num('test-images', 10000);
  const batchSize = num('batch-size', 64);
  const lr = num('lr', 0.05);

  const space = loadSpace(SPACE);
  const full = loadDataSource(dataSpec);
  // Test accuracy on a fixed stratified subset of the test split when --test-images is smaller.
  const data: DataSource =
    testImages < full.test.count ? { ...full, test: stratifiedSubset(full.test, testImages, 0) } : full;
  const recipe = loadRecipe(recipeFile, { epochs, valFraction, seed, batchSize, lr });
  // The split's sizes as stratifiedSplit makes them (rounded per class; close enough for the record).
  const valImages = Math.round(limitTrain * valFraction);
  const budget: TableMeta['budget'] = {
    limitTrain,
    valFraction,
    trainImages: limitTrain - valImages,
    valImages,
    testImages: data.test.count,
    testSet: data.test.name,
    epochs,
    recipe: recipeFile,
    recipeFields: { ...recipe },
    seed,
    repeatSeed,
    repeatEvery,
  };
  const command = `node dist/bench/accuracyTable.js ${process.argv.slice(2).join(' ')}`;
  const sampling = `the space's named architectures, then scrambled Sobol (seed ${sobolSeed}) over the ${space.searchDims.length} choices, duplicates skipped`;
  let table = readTable(out);
  if (table) {
    const was = JSON.stringify(table.$meta.budget);
    if (was !== JSON.stringify(budget))
      throw new Error(
        `${out} was made with another budget (${was}); give the same arguments to continue it, or another --out`,
      );
  } else {
    table = {
      $meta: {
        what: `Validation (accuracy) and test (testAcc) accuracy of ${SPACE} architectures on ${dataSpec}, one fixed short budget; read with --evaluator table:FILE`,
        space: SPACE,
        data: dataSpec,
        budget,
        sampling,
        threads,
        command,
        started: new Date().toISOString(),
        updated: '',
        machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, --threads ${threads}`,
      },
    } as TableFile;
  }
  const todo = plan(space, n, sobolSeed);
  let done = 0;
  const t0 = performance.now();
  const trainOnce = (arch: Arch, s: number) => {
    const r = trainArchitecture({
      space,
      spaceRef: SPACE,
      arch,
      recipe: { ...recipe, seed: s },
      data,
      limitTrain,
      test: true,
      threads,
    });
    if (r.status !== 'complete') throw new Error(`${formatArch(space, arch)} (seed ${s}) failed: ${r.error}`);
    const last = r.epochs.at(-1)!;
    const res: SeedResult = {
      accuracy: r.valAcc,
      testAcc: r.testAcc!,
      valLoss: last.valLoss,
      trainAcc: last.trainAcc,
      seconds: Math.round(r.seconds * 100) / 100,
    };
    return { r, res };
  };
  const save = () => {
    table.$meta.updated = new Date().toISOString();
    table.$meta.command = command;
    writeTable(out, table);
  };
  todo.forEach(({ arch, source }, i) => {
    const key = formatArch(space, arch);
    const repeat = !source.startsWith('sobol:') || i % repeatEvery === 0;
    let e = table[key] as TableEntry | undefined;
    if (!e) {
      const { r, res } = trainOnce(arch, seed);
      e = { ...res, flops: r.flops, params: r.params, indices: formatIndices(space, arch), source };
      table[key] = e;
      save();
      done++;
      process.stderr.write(
        `${i + 1}/${todo.length} ${e.indices} val ${(100 * e.accuracy).toFixed(2)}% test ${(100 * e.testAcc).toFixed(2)}% ` +
          `${(e.flops / 1e6).toFixed(2)}M MACs ${e.seconds.toFixed(1)} s\n`,
      );
    }
    if (repeat && !e.seeds?.[repeatSeed]) {
      const { res } = trainOnce(arch, repeatSeed);
      e.seeds = { ...(e.seeds ?? {}), [repeatSeed]: res };
      save();
      done++;
      process.stderr.write(
        `  seed ${repeatSeed}: val ${(100 * res.accuracy).toFixed(2)}% test ${(100 * res.testAcc).toFixed(2)}% ${res.seconds.toFixed(1)} s\n`,
      );
    }
  });
  const secs = (performance.now() - t0) / 1000;
  process.stderr.write(`${done} trainings in ${secs.toFixed(0)} s; ${entries(table).length} entries in ${out}\n`);
}

export interface TableAnalysis {
  n: number;
  accuracy: { min: number; p10: number; median: number; p90: number; max: number };
  testAcc: { min: number; p10: number; median: number; p90: number; max: number };
  spearmanValTest: number;
  /** Spearman correlation of test accuracy with FLOPs: how much of the ranking is capacity. */
  spearmanFlopsTest: number;
  /** Standard deviation of test accuracy over the table's architectures. */
  sdTestAcrossArchs: number;
  secondsMedian: number;
  repeats: number;
  noise: {
    meanAbsVal: number;
    meanAbsTest: number;
    kendallVal: number;
    kendallTest: number;
    /** The sd of one training's test accuracy (from the pairs: sd of the difference / sqrt 2). */
    sdTest: number;
    /** 1 - sdTest^2 / sdTestAcrossArchs^2: the share of the table's test-accuracy variance that is not seed noise. */
    reliability: number;
  } | null;
  best: { arch: string; indices: string; accuracy: number; testAcc: number; flops: number };
  bestTest: { arch: string; indices: string; accuracy: number; testAcc: number; flops: number };
}

export function analyseTable(t: TableFile): TableAnalysis {
  const es = entries(t);
  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return {
      min: s[0]!,
      p10: quantileSorted(s, 0.1),
      median: quantileSorted(s, 0.5),
      p90: quantileSorted(s, 0.9),
      max: s.at(-1)!,
    };
  };
  const val = es.map(([, e]) => e.accuracy);
  const test = es.map(([, e]) => e.testAcc);
  const sd = (x: number[]) => {
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    return Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(x.length - 1, 1));
  };
  const sdTestAcrossArchs = sd(test);
  const rep = es.filter(([, e]) => e.seeds && Object.keys(e.seeds).length);
  let noise: TableAnalysis['noise'] = null;
  if (rep.length >= 2) {
    const seed2 = (e: TableEntry) => Object.values(e.seeds!)[0]!;
    const a0 = rep.map(([, e]) => e.accuracy);
    const a1 = rep.map(([, e]) => seed2(e).accuracy);
    const t0 = rep.map(([, e]) => e.testAcc);
    const t1 = rep.map(([, e]) => seed2(e).testAcc);
    const meanAbs = (x: number[], y: number[]) => x.reduce((s, v, i) => s + Math.abs(v - y[i]!), 0) / x.length;
    // The sd of one training's test accuracy from pairs: sd(difference) / sqrt(2).
    const sdTest = sd(t0.map((v, i) => v - t1[i]!)) / Math.SQRT2;
    noise = {
      meanAbsVal: meanAbs(a0, a1),
      meanAbsTest: meanAbs(t0, t1),
      kendallVal: kendallTau(a0, a1),
      kendallTest: kendallTau(t0, t1),
      sdTest,
      reliability: 1 - sdTest ** 2 / sdTestAcrossArchs ** 2,
    };
  }
  const pick = (by: 'accuracy' | 'testAcc') => {
    const [k, e] = es.reduce((b, x) => (x[1][by] > b[1][by] ? x : b));
    return { arch: k, indices: e.indices, accuracy: e.accuracy, testAcc: e.testAcc, flops: e.flops };
  };
  return {
    n: es.length,
    accuracy: summary(val),
    testAcc: summary(test),
    spearmanValTest: spearman(val, test),
    spearmanFlopsTest: spearman(
      es.map(([, e]) => e.flops),
      test,
    ),
    sdTestAcrossArchs,
    secondsMedian: median(es.map(([, e]) => e.seconds)),
    repeats: rep.length,
    noise,
    best: pick('accuracy'),
    bestTest: pick('testAcc'),
  };
}

function analyse(file: string): void {
  const t = readTable(file);
  if (!t) throw new Error(`no table at ${file}`);
  const a = analyseTable(t);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const row = (name: string, s: TableAnalysis['accuracy']) =>
    `| ${name} | ${pct(s.min)} | ${pct(s.p10)} | ${pct(s.median)} | ${pct(s.p90)} | ${pct(s.max)} |`;
  const lines = [
    `${file}: ${a.n} architectures of ${t.$meta.space}, ${a.repeats} trained with a second seed; median ${a.secondsMedian.toFixed(1)} s per training`,
    '',
    '| | min | p10 | median | p90 | max |',
    '|---|---|---|---|---|---|',
    row('validation accuracy', a.accuracy),
    row('test accuracy', a.testAcc),
    '',
    `Spearman over the table: validation vs test ${a.spearmanValTest.toFixed(3)}, FLOPs vs test ${a.spearmanFlopsTest.toFixed(3)}; ` +
      `sd of test accuracy across architectures ${pct(a.sdTestAcrossArchs)}`,
  ];
  if (a.noise)
    lines.push(
      `Seed noise on ${a.repeats} pairs: mean |difference| validation ${pct(a.noise.meanAbsVal)}, test ${pct(a.noise.meanAbsTest)}; ` +
        `sd of one training's test accuracy ${pct(a.noise.sdTest)} (reliability ${a.noise.reliability.toFixed(2)}); Kendall tau between the seeds: validation ${a.noise.kendallVal.toFixed(3)}, test ${a.noise.kendallTest.toFixed(3)}`,
    );
  lines.push(
    `Best by validation: ${a.best.indices} (${a.best.arch}) val ${pct(a.best.accuracy)}, test ${pct(a.best.testAcc)}, ${(a.best.flops / 1e6).toFixed(2)}M MACs`,
    `Best by test: ${a.bestTest.indices} val ${pct(a.bestTest.accuracy)}, test ${pct(a.bestTest.testAcc)}, ${(a.bestTest.flops / 1e6).toFixed(2)}M MACs`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(JSON.stringify(a) + '\n');
}

if (require.main === module) {
  const file = arg('analyse', '');
  if (file) analyse(file);
  else build();
}
