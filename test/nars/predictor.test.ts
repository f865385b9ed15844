// NARS's predictor on the engine: pretraining on free statistics learns them (rank correlation and
// MAPE on the held-out 20%), a refit learns an accuracy from few samples and ranks unseen pairs,
// the head epochs leave the pretrained embedding untouched, weights round-trip through their file,
// and no call leaves a tensor alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeCostModel } from '../../src/cost/costModel';
import { saveSafetensors } from '../../src/engine/safetensors';
import { syntheticFunction } from '../../src/evaluate/synthetic';
import { loadSpace } from '../../src/space/registry';
import { kendallTau } from '../../src/stats/correlation';
import { pairFeatures } from '../../src/search/nars/encoding';
import { buildPool } from '../../src/search/nars/pool';
import {
  loadPredictor,
  predictScores,
  pretrainPredictor,
  refitPredictor,
  savePredictor,
} from '../../src/search/nars/predictor';
import { noLeaks } from '../helpers/leakCheck';

const space = loadSpace('fbnetv3-s');
const decode = { input: [1, 28, 28] as [number, number, number], classes: 10 };
const costs = makeCostModel(space, { decode });
const pool = buildPool({
  space,
  searched: space,
  costs: costs.costs,
  constraints: [],
  window: [],
  size: 1500,
  seed: 2,
});
const f = pairFeatures(space, pool.archs);
const c = pool.archs.map((a) => costs.costs(a));
const stats = [
  { name: 'flops', values: c.map((x) => x.flops!) },
  { name: 'params', values: c.map((x) => x.params!) },
];
const shape = { recipeFeatures: f.xr.cols, hidden: 64, embedding: 32, headHidden: 32 };
const common = { xa: f.xa, stats, shape, seed: 5, lr: 3e-3, batchSize: 128, threads: 1 };

test(
  'pretraining learns the free statistics: held-out rank correlation and MAPE far better than the untrained model',
  noLeaks(() => {
    const trained = pretrainPredictor({ ...common, epochs: 30 });
    const untrained = pretrainPredictor({ ...common, epochs: 0 });
    try {
      assert.equal(trained.train + trained.val, 1500);
      assert.equal(trained.val, 300, '20% held out');
      assert.equal(trained.losses.length, 30);
      assert.ok(
        trained.losses.at(-1)! < trained.losses[0]! / 5,
        `the loss falls (${trained.losses[0]} -> ${trained.losses.at(-1)})`,
      );
      for (const v of trained.validation) {
        assert.ok(v.kendall > 0.8, `${v.stat}: held-out Kendall tau ${v.kendall}`);
        assert.ok(v.mape < 0.1, `${v.stat}: held-out MAPE ${v.mape}`);
      }
      for (const [k, v] of untrained.validation.entries())
        assert.ok(v.mape > 3 * trained.validation[k]!.mape, `${v.stat}: untrained MAPE ${v.mape}`);
      assert.deepEqual(trained.meta.statNames, ['flops', 'params']);
    } finally {
      trained.model.dispose();
      untrained.model.dispose();
    }
  }),
);

test(
  'a refit learns accuracy from 40 pairs and ranks 500 unseen ones; the head epochs leave the embedding frozen; weights round-trip',
  noLeaks(() => {
    const fn = syntheticFunction(space, 7, decode);
    const acc = pool.archs.map((a) => fn.accuracy(a));
    const pre = pretrainPredictor({ ...common, epochs: 20 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-nars-pred-'));
    try {
      const file = path.join(dir, 'p.safetensors');
      savePredictor(file, pre.model, pre.meta);
      const rows = (from: number, to: number) => ({
        xa: { data: f.xa.data.slice(from * f.xa.cols, to * f.xa.cols), rows: to - from, cols: f.xa.cols },
        xr: { data: f.xr.data.slice(from * f.xr.cols, to * f.xr.cols), rows: to - from, cols: f.xr.cols },
      });
      const train = rows(0, 40);
      const unseen = rows(1000, 1500);
      const refit = { seed: 1, headLr: 3e-3, fineLr: 3e-4, batchSize: 16, threads: 1 };

      // Head epochs only: the encoder's weights do not move.
      const head = loadPredictor(file);
      const before = head.model.encoder.parameters().map((t) => t.toArray());
      const r0 = refitPredictor(head.model, head.meta, {
        ...train,
        y: acc.slice(0, 40),
        ...refit,
        headEpochs: 20,
        fineEpochs: 0,
      });
      head.model.encoder.parameters().forEach((t, k) => assert.deepEqual(t.toArray(), before[k], 'encoder frozen'));
      assert.ok(r0.losses.at(-1)! < r0.losses[0]!);
      head.model.dispose();

      const full = loadPredictor(file);
      const r = refitPredictor(full.model, full.meta, {
        ...train,
        y: acc.slice(0, 40),
        ...refit,
        headEpochs: 50,
        fineEpochs: 50,
      });
      assert.equal(r.losses.length, 100);
      assert.ok(r.train.kendall > 0.7, `fits its own data: Kendall tau ${r.train.kendall}`);
      const p = predictScores(full.model, r.meta, unseen.xa, unseen.xr);
      const tau = kendallTau(Array.from(p), acc.slice(1000, 1500));
      assert.ok(tau > 0.3, `ranks 500 unseen pairs: Kendall tau ${tau}`);
      // Predictions are in the objective's units (accuracy), not standardised.
      const mean = p.reduce((s, v) => s + v, 0) / p.length;
      assert.ok(mean > 0.45 && mean < 1, `mean prediction ${mean}`);

      // The refit weights round-trip with their standardisation.
      const again = path.join(dir, 'r.safetensors');
      savePredictor(again, full.model, r.meta);
      const back = loadPredictor(again);
      assert.deepEqual(back.meta, r.meta);
      assert.deepEqual(Array.from(predictScores(back.model, back.meta, unseen.xa, unseen.xr)), Array.from(p));
      back.model.dispose();
      full.model.dispose();
    } finally {
      pre.model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test('a weights file without the predictor metadata is refused with what to do', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-nars-pred-'));
  try {
    const pre = pretrainPredictor({ ...common, epochs: 0 });
    const file = path.join(dir, 'x.safetensors');
    saveSafetensors(file, pre.model.stateDict());
    pre.model.dispose();
    assert.throws(
      () => loadPredictor(file),
      /is not a NARS predictor's weights file \(no 'nars' metadata\); delete it to retrain/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
