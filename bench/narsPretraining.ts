// Does predictor pretraining pay? (issue 12, item 8; spec fbnetv3.md 3: pretraining on free
// statistics "cuts the accuracy samples needed for the same error about 5x")
//
// On an accuracy table (the tabular evaluator's format), for each seed:
//   1. the pool is every entry of the table (their FLOPs and params are free);
//   2. H entries are held out; the accuracy samples are drawn from the others, in a seeded order;
//   3. with stage 1: the predictor pretrained on the pool's FLOPs and params (the nars strategy's
//      defaults: sizes, epochs, rates), then refit (the strategy's schedule: head epochs with the
//      embedding frozen, then the whole model at the lower rate) on the first k samples;
//      without: the same refit from the seeded random weights (no pretraining);
//   4. Kendall's tau of the refit predictor's scores with the held-out entries' accuracy.
// Means and standard deviations over the seeds for each k; the target: the pretrained predictor
// at k samples matches the unpretrained one at 2k (the same correlation with at most half the
// samples).
//
//   node dist/bench/narsPretraining.js TABLE [--space fbnet-s] [--metric val_acc] [--samples 10,20,40,80,160]
//     [--seeds 5] [--held-out 1000] [--free 0] [--input 1x28x28] [--classes 10] [--pretrain-epochs N] [--threads 1]
//     [--set fineLr=0.001,headEpochs=100,...]   (the nars strategy's predictor settings; default its defaults)
//
// Output: progress on stderr; a markdown table on stdout, then one JSON line.
import { sampleUniformN } from '../src/arch/sample';
import { makeCostModel } from '../src/cost/costModel';
import { createTabularEvaluator, loadTable } from '../src/evaluate/tabular';
import { Rng } from '../src/random/rng';
import { narsOptions } from '../src/search/nars/options';
import { pairFeatures } from '../src/search/nars/encoding';
import type { Matrix } from '../src/search/nars/encoding';
import {
  loadPredictor,
  predictScores,
  pretrainPredictor,
  refitPredictor,
  savePredictor,
} from '../src/search/nars/predictor';
import { loadSpace } from '../src/space/registry';
import { parseInputShape } from '../src/space/resolve';
import { kendallTau } from '../src/stats/correlation';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { arg } from './args';

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  console.error(
    'usage: node dist/bench/narsPretraining.js TABLE [--space fbnet-s] [--metric val_acc] [--samples 10,20,40,80,160] [--seeds 5]',
  );
  process.exit(2);
}
const space = loadSpace(arg('space', 'fbnet-s'));
const metric = arg('metric', 'val_acc');
const samples = arg('samples', '10,20,40,80,160').split(',').map(Number);
const seeds = Number(arg('seeds', '5'));
const heldOut = Number(arg('held-out', '1000'));
const threads = Number(arg('threads', '1'));
// --set key=value,... overrides the nars strategy's predictor settings (e.g. --set fineLr=0.001,embedding=128).
const o = narsOptions.parse(
  Object.fromEntries(
    arg('set', '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string])
      .map(([k, v]) => [k, Number(v)]),
  ),
);
const pretrainEpochs = Number(arg('pretrain-epochs', String(o.pretrainEpochs)));
const decode = { input: parseInputShape(arg('input', '1x28x28')), classes: Number(arg('classes', '10')) };

const table = loadTable(space, file);
// The table's own FLOPs and params where it has them, else the analytic ones at --input.
const costs = makeCostModel(space, { decode, override: createTabularEvaluator(space, file).costOverride });
const keys = [...table.rows.keys()].filter((k) => Number.isFinite(table.rows.get(k)![metric]));
if (keys.length < heldOut + Math.max(...samples))
  throw new Error(
    `table ${file} has ${keys.length} entries with '${metric}': fewer than --held-out ${heldOut} + the largest sample ${Math.max(...samples)}`,
  );
const archs = keys.map((k) => table.archs.get(k)!);
const acc = keys.map((k) => table.rows.get(k)![metric]!);
const f = pairFeatures(space, archs);
// Stage 1's set: the entries, plus --free N architectures drawn uniformly from the space (their
// FLOPs and params are free too: stage 1 is not limited to what was trained).
const free = sampleUniformN(space, Number(arg('free', '0')), 12345);
const pre1 = [...archs, ...free];
const f1 = pairFeatures(space, pre1);
const c = pre1.map((a) => costs.costs(a));
const stats = [
  { name: 'flops', values: c.map((x) => x.flops!) },
  { name: 'params', values: c.map((x) => x.params!) },
];
const pick = (m: Matrix, idx: readonly number[]): Matrix => {
  const data = new Float32Array(idx.length * m.cols);
  idx.forEach((r, k) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return { data, rows: idx.length, cols: m.cols };
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-narspre-'));
const results: Record<string, Record<number, number[]>> = { with: {}, without: {} };
const flopsTau: number[] = [];
const validation: Array<{ seed: number; stat: string; kendall: number; mape: number }> = [];
const t0 = Date.now();
try {
  for (let seed = 0; seed < seeds; seed++) {
    const order = Array.from(new Rng(1000 + seed).permutation(keys.length));
    const held = order.slice(0, heldOut);
    const pool = order.slice(heldOut);
    // The reference a predictor must beat: ranking the held-out entries by their FLOPs alone.
    flopsTau.push(
      kendallTau(
        held.map((i) => c[i]!.flops!),
        held.map((i) => acc[i]!),
      ),
    );
    for (const pre of [true, false]) {
      const p = pretrainPredictor({
        xa: f1.xa,
        stats,
        shape: { recipeFeatures: f.xr.cols, hidden: o.hidden, embedding: o.embedding, headHidden: o.headHidden },
        seed,
        epochs: pre ? pretrainEpochs : 0,
        lr: o.pretrainLr,
        batchSize: o.batchSize,
        threads,
      });
      if (pre) for (const v of p.validation) validation.push({ seed, stat: v.stat, kendall: v.kendall, mape: v.mape });
      const w = path.join(dir, `p${seed}${pre}.safetensors`);
      savePredictor(w, p.model, p.meta);
      p.model.dispose();
      for (const k of samples) {
        const train = pool.slice(0, k);
        const { model, meta } = loadPredictor(w);
        try {
          const r = refitPredictor(model, meta, {
            xa: pick(f.xa, train),
            xr: pick(f.xr, train),
            y: train.map((i) => acc[i]!),
            seed,
            headEpochs: o.headEpochs,
            headLr: o.headLr,
            fineEpochs: o.fineEpochs,
            fineLr: o.fineLr,
            batchSize: o.batchSize,
            threads,
          });
          const s = predictScores(model, r.meta, pick(f.xa, held), pick(f.xr, held));
          const tau = kendallTau(
            Array.from(s),
            held.map((i) => acc[i]!),
          );
          (results[pre ? 'with' : 'without']![k] ??= []).push(tau);
          console.error(
            `seed ${seed} ${pre ? 'with   ' : 'without'} stage 1, ${String(k).padStart(3)} samples: Kendall tau ${tau.toFixed(3)}`,
          );
        } finally {
          model.dispose();
        }
      }
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / Math.max(1, v.length - 1));
const cell = (v: number[]) => `${mean(v).toFixed(3)} ± ${sd(v).toFixed(3)}`;
console.log(
  `Predictor pretraining on ${file} (${keys.length} entries, ${metric}; ${heldOut} held out; ${seeds} seeds; pretraining ${pretrainEpochs} epochs on FLOPs and params of all entries${free.length ? ` and ${free.length} uniformly drawn architectures` : ''})\n`,
);
console.log('| accuracy samples | Kendall tau with stage 1 | without stage 1 | with stage 1 at k vs without at 2k |');
console.log('|---|---|---|---|');
const verdicts: Array<{ k: number; with: number; without2k: number; holds: boolean }> = [];
for (const k of samples) {
  const w = results.with![k]!;
  const wo = results.without![k]!;
  const twice = results.without![2 * k];
  let v = '-';
  if (twice) {
    const holds = mean(w) >= mean(twice);
    verdicts.push({ k, with: mean(w), without2k: mean(twice), holds });
    v = `${mean(w).toFixed(3)} vs ${mean(twice).toFixed(3)}: ${holds ? 'holds' : 'does not hold'}`;
  }
  console.log(`| ${k} | ${cell(w)} | ${cell(wo)} | ${v} |`);
}
const val = ['flops', 'params'].map((s) => {
  const v = validation.filter((x) => x.stat === s);
  return `${s} Kendall tau ${mean(v.map((x) => x.kendall)).toFixed(3)}, MAPE ${(100 * mean(v.map((x) => x.mape))).toFixed(1)}%`;
});
console.log(`\nRanking the held-out entries by FLOPs alone: Kendall tau ${cell(flopsTau)}.`);
console.log(
  `\nStage 1's own held-out validation (20% of the pool): ${val.join('; ')}. ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
);
console.log(
  JSON.stringify({
    table: file,
    entries: keys.length,
    metric,
    heldOut,
    free: free.length,
    flopsTau: { mean: mean(flopsTau), sd: sd(flopsTau) },
    seeds,
    settings: {
      hidden: o.hidden,
      embedding: o.embedding,
      headHidden: o.headHidden,
      headEpochs: o.headEpochs,
      headLr: o.headLr,
      fineEpochs: o.fineEpochs,
      fineLr: o.fineLr,
    },
    pretrainEpochs,
    with: Object.fromEntries(samples.map((k) => [k, { mean: mean(results.with![k]!), sd: sd(results.with![k]!) }])),
    without: Object.fromEntries(
      samples.map((k) => [k, { mean: mean(results.without![k]!), sd: sd(results.without![k]!) }]),
    ),
    halfTheSamples: verdicts,
  }),
);
