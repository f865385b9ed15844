// Does the one-shot supernet rank architectures, and does the angle rank ops? (issue 13's
// evidence.) The fbnet-s supernet is trained SPOS-style (one uniform path per step, only its
// weights updated: src/supernet/oneShotTraining.ts) on Fashion-MNIST with the data budget of the
// accuracy table (its $meta: `limitTrain` stratified training images, `valFraction` of them held
// out, the table's seed), then:
//
//  1. every table architecture (up to --archs) is measured one-shot: validation accuracy on the
//     held-out split with the supernet's weights, after BatchNorm recalibration on --recal
//     training batches, and without (the running statistics training left); Kendall's tau
//     against the table's stand-alone validation (`accuracy`) and test (`testAcc`) accuracy, beside
//     the table's own seed-to-seed tau (the ceiling any proxy can reach);
//  2. the same after the first epoch only (the collapse to chance that evaluation without
//     recalibration shows after tiny budgets);
//  3. per (layer, op): ABS's angle score (mean angle of --angle-paths sampled paths containing it),
//     the mean one-shot accuracy of the measured table architectures containing it, and the table's
//     mean stand-alone accuracy of those; Kendall's tau between the rankings, pooled over all ops
//     and per layer; the path angle of each table architecture against its stand-alone accuracy;
//     and the space ABS would shrink to (the lowest-angle ops dropped, --drop per layer, one round,
//     no retraining) against the full space by the table's mean accuracy of the architectures whose
//     ops all survive vs the rest.
//
//   node dist/bench/supernetRanking.js --table bench/tables/fbnet-s-fmnist.json [--epochs 6] [--lr 0.05]
//     [--archs 60] [--recal 20] [--angle-paths 1000] [--drop 4] [--threads 1] [--seed 0] [--out FILE]
import * as fs from 'node:fs';
import { manualSeed } from '../src/engine/creation';
import { memory } from '../src/engine/memory';
import { setNumThreads } from '../src/engine/runtime';
import { BatchLoader } from '../src/data/loader';
import { loadDataSource } from '../src/data/dataSource';
import { stratifiedSplit } from '../src/data/split';
import { Rng } from '../src/random/rng';
import { parseArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { kendallTau, median } from '../src/stats';
import {
  allOps,
  angleStats,
  indicesOfArch,
  OneShotAccuracy,
  opsToDrop,
  PathSampler,
  pathAngle,
  scoreOps,
  snapshotWeights,
  disposeSnapshot,
  SupernetNetwork,
  supernetLayout,
  trainOneShot,
  withoutOps,
} from '../src/supernet';
import { arg, num } from './args';

interface Entry {
  accuracy: number;
  testAcc: number;
  seeds?: Record<string, { accuracy: number; testAcc: number }>;
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const r3 = (v: number) => +v.toFixed(3);
const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

function main(): void {
  const tableFile = arg('table', 'bench/tables/fbnet-s-fmnist.json');
  const epochs = num('epochs', 6);
  const lr = num('lr', 0.05);
  const maxArchs = num('archs', 60);
  const recal = num('recal', 20);
  const anglePaths = num('angle-paths', 1000);
  const dropPerLayer = num('drop', 4);
  const threads = num('threads', 1);
  const seed = num('seed', 0);
  const out = arg('out', '');
  setNumThreads(threads);
  const raw = JSON.parse(fs.readFileSync(tableFile, 'utf8')) as Record<string, unknown>;
  const meta = raw.$meta as {
    space: string;
    data: string;
    budget: { limitTrain: number; valFraction: number; seed: number; batchSize?: number };
  };
  const entries = Object.entries(raw).filter(([k]) => k !== '$meta') as Array<[string, Entry]>;
  const space = loadSpace(meta.space);
  const data = loadDataSource(meta.data);
  const set = data.train;
  const input: [number, number, number] = [set.channels, set.height, set.width];
  const layout = supernetLayout(space, input, set.classes);
  const { limitTrain, valFraction } = meta.budget;
  const split = stratifiedSplit(set, valFraction, meta.budget.seed, limitTrain);
  const archs = entries
    .slice(0, maxArchs)
    .map(([k, e]) => ({ key: k, e, idx: indicesOfArch(layout, parseArch(space, k)) }));
  console.error(
    `supernetRanking: ${meta.space} on ${meta.data}, ${split.train.length} training / ${split.val.length} validation images (the table's split), ` +
      `${epochs} supernet epochs, ${archs.length} of the table's ${entries.length} architectures, ${recal} recalibration batches, ${threads} thread(s)`,
  );

  const live0 = memory().liveTensors;
  const common = { mean: data.mean, std: data.std, memoryFormat: 'channels_last' as const };
  const trainLoader = new BatchLoader(set, split.train, {
    ...common,
    batchSize: 64,
    shuffle: true,
    seed,
    dropLast: true,
  });
  const recalLoader = new BatchLoader(set, split.train, { ...common, batchSize: 64, shuffle: true, seed: seed + 7 });
  const valLoader = new BatchLoader(set, split.val, { ...common, batchSize: 256, shuffle: false, seed: 0 });
  manualSeed(seed);
  const supernet = new SupernetNetwork(layout).to({ memoryFormat: 'channels_last' });
  const initial = snapshotWeights(supernet);
  const sampler = new PathSampler({ layout });
  const oneShot = new OneShotAccuracy(supernet, { train: recalLoader, val: valLoader, recalBatches: recal });
  const result: Record<string, unknown> = {
    command: `node dist/bench/supernetRanking.js ${process.argv.slice(2).join(' ')}`,
    table: tableFile,
    tableEntries: entries.length,
    archs: archs.length,
    budget: {
      trainImages: split.train.length,
      valImages: split.val.length,
      epochs,
      lr,
      recalBatches: oneShot.recalBatches,
    },
  };
  const measure = (list: typeof archs, recalibrate: boolean) =>
    list.map((a) => oneShot.accuracy(a.idx, { recalibrate }));
  const taus = (oneShotAcc: number[], list: typeof archs) => ({
    vsValAcc: r3(
      kendallTau(
        oneShotAcc,
        list.map((a) => a.e.accuracy),
      ),
    ),
    vsTestAcc: r3(
      kendallTau(
        oneShotAcc,
        list.map((a) => a.e.testAcc),
      ),
    ),
    meanOneShot: r3(mean(oneShotAcc)),
    minOneShot: r3(Math.min(...oneShotAcc)),
    maxOneShot: r3(Math.max(...oneShotAcc)),
  });
  try {
    const t0 = cpu();
    const w0 = performance.now();
    // One epoch, then the rest (a second run of the loop continuing would restart the cosine: train
    // all epochs in one run, and measure after the first through onEpoch).
    let afterFirst: Record<string, unknown> | null = null;
    const early = archs.slice(0, 12);
    trainOneShot({
      supernet,
      loader: trainLoader,
      sampler,
      epochs,
      lr,
      weightDecay: 4e-5,
      seed,
      onEpoch: (r) => {
        console.error(
          `  epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(3)}, sampled-path accuracy ${(r.accuracy * 100).toFixed(1)}%, ${r.seconds.toFixed(0)} s`,
        );
        if (r.epoch === 1) {
          // Measuring changes only BatchNorm statistics; keep the trained ones for the next epoch.
          const saved = new Map([...supernet.namedBuffers()].map(([n, b]) => [n, b.clone()]));
          const without = measure(early, false);
          const withRecal = measure(early, true);
          for (const [n, b] of supernet.namedBuffers()) b.copy_(saved.get(n)!);
          for (const b of saved.values()) b.dispose();
          afterFirst = {
            archs: early.length,
            withoutRecalibration: { mean: r3(mean(without)), max: r3(Math.max(...without)) },
            withRecalibration: { mean: r3(mean(withRecal)), max: r3(Math.max(...withRecal)) },
          };
          console.error(
            `  after epoch 1: one-shot accuracy without recalibration ${JSON.stringify(afterFirst.withoutRecalibration)}, with ${JSON.stringify(afterFirst.withRecalibration)}`,
          );
        }
      },
    });
    result.training = { cpuSeconds: r3(cpu() - t0), wallSeconds: r3((performance.now() - w0) / 1000) };
    result.afterFirstEpoch = afterFirst;

    // 1. Ranking of the table's architectures. Without recalibration first: recalibration overwrites the running statistics.
    const t1 = cpu();
    const without = measure(archs, false);
    const withRecal = measure(archs, true);
    result.ranking = { withRecalibration: taus(withRecal, archs), withoutRecalibration: taus(without, archs) };
    result.measureCpuSeconds = r3(cpu() - t1);
    const repeated = entries.filter(([, e]) => e.seeds && Object.keys(e.seeds).length);
    if (repeated.length >= 5) {
      const s1 = repeated.map(([, e]) => Object.values(e.seeds!)[0]!);
      result.tableSeedToSeed = {
        entries: repeated.length,
        testAccTau: r3(
          kendallTau(
            repeated.map(([, e]) => e.testAcc),
            s1.map((s) => s.testAcc),
          ),
        ),
        valAccTau: r3(
          kendallTau(
            repeated.map(([, e]) => e.accuracy),
            s1.map((s) => s.accuracy),
          ),
        ),
      };
    }

    // 3. Per-op rankings: angle, one-shot accuracy, the table's mean accuracy.
    const stats = angleStats(supernet, initial);
    const t2 = cpu();
    const scores = scoreOps({
      layout,
      sampler,
      pathScore: (p) => pathAngle(stats, p),
      pathsPerOp: anglePaths,
      rng: new Rng(seed + 11),
    });
    result.angleScoringCpuSeconds = r3(cpu() - t2);
    const allEntries = entries.map(([k, e]) => ({ e, idx: indicesOfArch(layout, parseArch(space, k)) }));
    const ops = scores.map((s) => {
      const withOpTable = allEntries.filter((a) => a.idx[s.layer] === s.op);
      const withOpMeasured = archs.map((a, i) => ({ a, i })).filter(({ a }) => a.idx[s.layer] === s.op);
      return {
        layer: s.key,
        op: s.name,
        angle: s.score,
        oneShot: withOpMeasured.length ? mean(withOpMeasured.map(({ i }) => withRecal[i]!)) : NaN,
        table: withOpTable.length ? mean(withOpTable.map((a) => a.e.testAcc)) : NaN,
        tableCount: withOpTable.length,
      };
    });
    const finite = ops.filter((o) => Number.isFinite(o.oneShot) && Number.isFinite(o.table));
    const perLayer = (f: (o: (typeof ops)[number]) => number, g: (o: (typeof ops)[number]) => number) =>
      r3(
        median(
          layout.layers
            .map((l) => {
              const xs = finite.filter((o) => o.layer === l.key);
              return kendallTau(xs.map(f), xs.map(g));
            })
            .filter(Number.isFinite),
        ),
      );
    result.perOp = {
      ops: finite.length,
      pooled: {
        angleVsTable: r3(
          kendallTau(
            finite.map((o) => o.angle),
            finite.map((o) => o.table),
          ),
        ),
        oneShotVsTable: r3(
          kendallTau(
            finite.map((o) => o.oneShot),
            finite.map((o) => o.table),
          ),
        ),
        angleVsOneShot: r3(
          kendallTau(
            finite.map((o) => o.angle),
            finite.map((o) => o.oneShot),
          ),
        ),
      },
      medianPerLayer: {
        angleVsTable: perLayer(
          (o) => o.angle,
          (o) => o.table,
        ),
        oneShotVsTable: perLayer(
          (o) => o.oneShot,
          (o) => o.table,
        ),
        angleVsOneShot: perLayer(
          (o) => o.angle,
          (o) => o.oneShot,
        ),
      },
      table: ops.map((o) => ({ ...o, angle: r3(o.angle), oneShot: r3(o.oneShot), table: r3(o.table) })),
    };
    // The path angle of each table architecture against its stand-alone accuracy.
    const angles = allEntries.map((a) => pathAngle(stats, a.idx));
    result.pathAngle = {
      archs: allEntries.length,
      vsTestAcc: r3(
        kendallTau(
          angles,
          allEntries.map((a) => a.e.testAcc),
        ),
      ),
      vsValAcc: r3(
        kendallTau(
          angles,
          allEntries.map((a) => a.e.accuracy),
        ),
      ),
    };
    // The space one ABS round would keep: drop `dropPerLayer` x layers of the lowest-angle ops.
    const active = allOps(layout);
    const dropped = opsToDrop(active, scores, dropPerLayer * layout.layers.length);
    const kept = withoutOps(active, dropped);
    const inKept = allEntries.map((a) => a.idx.filter((i, l) => kept[l]!.includes(i)).length);
    const full = mean(allEntries.map((a) => a.e.testAcc));
    const allKept = allEntries.filter((_, i) => inKept[i] === layout.layers.length);
    const mostly = allEntries.filter((_, i) => inKept[i]! >= layout.layers.length - 2);
    result.shrunk = {
      dropped: dropped.length,
      keptPerLayer: kept.map((k) => k.length),
      fullSpaceMeanTestAcc: r3(full),
      entriesAllOpsKept: allKept.length,
      meanTestAccAllOpsKept: allKept.length ? r3(mean(allKept.map((a) => a.e.testAcc))) : null,
      entriesAtMostTwoDropped: mostly.length,
      meanTestAccAtMostTwoDropped: mostly.length ? r3(mean(mostly.map((a) => a.e.testAcc))) : null,
      keptOpsVsTestAccTau: r3(
        kendallTau(
          inKept,
          allEntries.map((a) => a.e.testAcc),
        ),
      ),
    };
    result.totalCpuSeconds = r3(cpu());
  } finally {
    oneShot.dispose();
    disposeSnapshot(initial);
    trainLoader.dispose();
    recalLoader.dispose();
    valLoader.dispose();
    supernet.dispose();
  }
  result.leakedTensors = memory().liveTensors - live0;
  const text = JSON.stringify(result, null, 1);
  if (out) fs.writeFileSync(out, text);
  console.log(text);
}

main();
