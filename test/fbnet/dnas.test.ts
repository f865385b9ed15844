// The FBNet search loop on the tiny space and synthetic data: records and the temperature
// schedule, warm-up, latency pressure end to end, exact resume from a killed run (soft and
// hard), refusal to resume with other settings, divergence ending the run with the last good
// checkpoint kept, and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  runDnas,
  DnasDivergedError,
  type DnasEpochRecord,
  type DnasOptions,
  type DnasResult,
} from '../../src/search/fbnet/dnas';
import { flopsCandidateCosts, expectedCost } from '../../src/supernet/candidateCosts';
import { temperatureAt } from '../../src/search/fbnet/temperature';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../src/train/checkpoint';
import { dispose } from '../../src/engine/memory';
import { noLeaks } from '../helpers/leakCheck';
import { tempDir } from '../data/fixtures';
import { tinyData, tinySpace } from '../helpers/tinySpace';

const space = tinySpace();
const data = tinyData();
const costs = flopsCandidateCosts(space, undefined, undefined, { unit: 'kMAC' });

function run(o: Partial<DnasOptions> = {}): DnasResult {
  return runDnas({ space, data, costs, epochs: 3, warmupEpochs: 1, batchSize: 32, limitTrain: 300, seed: 5, ...o });
}

/** Records without their wall-clock times. */
const timeless = (rs: DnasEpochRecord[]) => rs.map(({ seconds: _s, ...r }) => r);

class Killed extends Error {}

test(
  'records: one per epoch with tau, distributions, expected cost, both passes, argmax; warm-up leaves theta alone',
  noLeaks(() => {
    const seen: number[] = [];
    const progress = new Set<string>();
    const r = run({
      epochs: 4,
      onEpoch: (rec) => seen.push(rec.epoch),
      onProgress: (p) => progress.add(`${p.epoch}:${p.pass}`),
    });
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.deepEqual(
      [...progress],
      ['1:weights', '2:weights', '2:theta', '3:weights', '3:theta', '4:weights', '4:theta'],
    );
    assert.equal(r.resumedFrom, 0);
    assert.deepEqual(
      r.records.map((x) => x.phase),
      ['warmup', 'search', 'search', 'search'],
    );
    r.records.forEach((rec, e) => {
      assert.equal(rec.tau, temperatureAt(e), `tau of epoch ${e + 1}`);
      assert.equal(rec.distributions.length, 4);
      for (const d of rec.distributions) assert.ok(Math.abs(d.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.ok(Math.abs(rec.expectedCost - expectedCost(costs, rec.distributions)) < 1e-9);
      assert.equal(rec.costUnit, 'kMAC');
      assert.equal(rec.weightPass.images, 224, '80% of 300 images minus the dropped partial batch');
      assert.ok(Number.isFinite(rec.weightPass.loss) && rec.weightPass.accuracy >= 0 && rec.weightPass.accuracy <= 1);
      assert.equal(rec.argmaxIndices.length, 4);
      assert.equal(typeof rec.argmax, 'string');
      assert.ok(rec.seconds > 0);
    });
    assert.equal(r.records[0]!.thetaPass, null);
    for (const d of r.records[0]!.distributions.slice(0, 3))
      for (const p of d) assert.ok(Math.abs(p - 1 / 3) < 1e-7, 'theta untouched in warm-up');
    for (const rec of r.records.slice(1)) {
      const t = rec.thetaPass!;
      assert.equal(t.images, 32);
      assert.ok(
        Math.abs(t.loss - t.ce * 0.2 * Math.log(t.cost) ** 0.6) < 0.05 * t.loss,
        'theta-pass loss has the FBNet form (means of batches)',
      );
    }
    assert.notDeepEqual(r.records.at(-1)!.distributions[0], [1 / 3, 1 / 3, 1 / 3], 'theta moved in search epochs');
    assert.deepEqual(r.distributions, r.records.at(-1)!.distributions);
    assert.deepEqual(
      r.layers.map((l) => l.key),
      ['layer1', 'layer2', 'layer3', 'layer4'],
    );
    assert.equal(r.argmax.text, r.records.at(-1)!.argmax);
  }),
);

test('temperature: 5.0, then x exp(-0.045) per epoch', () => {
  assert.equal(temperatureAt(0), 5);
  for (let e = 1; e < 90; e++) assert.ok(Math.abs(temperatureAt(e) / temperatureAt(e - 1) - Math.exp(-0.045)) < 1e-12);
  assert.ok(Math.abs(temperatureAt(90) - 5 * Math.exp(-0.045 * 90)) < 1e-12);
  assert.ok(Math.abs(Math.exp(-0.045) - 0.956) < 1e-3);
});

test(
  'latency pressure end to end: a larger beta ends at a lower expected cost',
  noLeaks(() => {
    const weak = run({ epochs: 4, beta: 0.05, limitTrain: 400, thetaLr: 0.1 });
    const strong = run({ epochs: 4, beta: 3, limitTrain: 400, thetaLr: 0.1 });
    const start = strong.records[0]!.expectedCost;
    const end = strong.records.at(-1)!.expectedCost;
    assert.ok(end < 0.85 * start, `beta 3: ${start.toFixed(1)} -> ${end.toFixed(1)} kMAC`);
    assert.ok(
      end < weak.records.at(-1)!.expectedCost,
      `beta 3 ends at ${end.toFixed(1)}, beta 0.05 at ${weak.records.at(-1)!.expectedCost.toFixed(1)}`,
    );
    for (let e = 2; e < strong.records.length; e++)
      assert.ok(strong.records[e]!.expectedCost < strong.records[e - 1]!.expectedCost);
  }),
);

for (const hard of [false, true]) {
  test(
    `resume (${hard ? 'hard' : 'soft'}): a run killed after epoch 2 and restarted gives the uninterrupted records`,
    noLeaks(() => {
      const full = run({ epochs: 4, hard });
      const dir = tempDir(`dnas-resume-${hard}`);
      assert.throws(
        () =>
          run({
            epochs: 4,
            hard,
            checkpointPath: dir,
            onEpoch: (r) => {
              if (r.epoch === 2) throw new Killed('killed');
            },
          }),
        Killed,
      );
      const ck = loadCheckpoint(dir);
      try {
        assert.equal(ck.state.epoch, 2);
        const runState = ck.state.run as {
          kind: string;
          records: DnasEpochRecord[];
          tau: number;
          nextTau: number;
          seed: number;
        };
        assert.equal(runState.kind, 'fbnet-dnas/1');
        assert.equal(runState.records.length, 2);
        assert.equal(runState.tau, temperatureAt(1));
        assert.equal(runState.nextTau, temperatureAt(2));
        assert.equal(runState.seed, 5);
        const names = [...ck.groups.model!.keys()];
        assert.ok(names.includes('stages.0.0.theta') && names.includes('stages.1.0.ops.ir_k3_e3.conv_dw.weight'));
        assert.ok(ck.groups.wopt!.size > 0, 'SGD momentum buffers saved');
        assert.ok(ck.groups.aopt!.size > 0, 'Adam moments saved');
      } finally {
        for (const g of Object.values(ck.groups)) dispose(g);
      }
      assert.ok(fs.existsSync(path.join(dir, 'checkpoint.json')));
      const resumed = run({ epochs: 4, hard, checkpointPath: dir });
      assert.equal(resumed.resumedFrom, 2);
      assert.deepEqual(timeless(resumed.records), timeless(full.records));
      assert.deepEqual(resumed.distributions, full.distributions);
      // A finished search resumes to its result without training.
      const again = run({ epochs: 4, hard, checkpointPath: dir });
      assert.equal(again.resumedFrom, 4);
      assert.deepEqual(timeless(again.records), timeless(full.records));
    }),
  );
}

test(
  'resuming with other settings is refused, naming the differences',
  noLeaks(() => {
    const dir = tempDir('dnas-mismatch');
    run({ epochs: 2, checkpointPath: dir });
    assert.throws(
      () => run({ epochs: 2, alpha: 0.5, checkpointPath: dir }),
      /different settings \(alpha: 0\.2 there, 0\.5 now\)/,
    );
    assert.throws(
      () => run({ epochs: 3, hard: true, checkpointPath: dir }),
      /epochs: 2 there, 3 now; hard: false there, true now/,
    );
  }),
);

test(
  'a non-finite loss ends the run with a clear error; the checkpoint keeps the last good epoch',
  noLeaks(() => {
    const dir = tempDir('dnas-nan');
    assert.throws(
      () =>
        run({
          epochs: 3,
          checkpointPath: dir,
          onEpoch: () => {
            throw new Killed('killed');
          },
        }),
      Killed,
    );
    // The same images normalised by a zero standard deviation: infinite inputs, a NaN loss in epoch 2.
    const broken = { ...data, std: data.std.map(() => 0) };
    let err: unknown;
    try {
      run({ epochs: 3, checkpointPath: dir, data: broken });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof DnasDivergedError, String(err));
    assert.match(err.message, /weight-pass loss is NaN at epoch 2, batch 1/);
    assert.match(err.message, /holds the last good epoch \(1\)/);
    assert.match(err.message, /lower weightLr/);
    const ck = loadCheckpoint(path.join(dir, CHECKPOINT_FILE));
    try {
      assert.equal(ck.state.epoch, 1);
    } finally {
      for (const g of Object.values(ck.groups)) dispose(g);
    }
  }),
);

test(
  'invalid options are refused together, with what to change',
  noLeaks(() => {
    assert.throws(
      () => run({ epochs: 2, warmupEpochs: 2, beta: -1, batchSize: 0 }),
      /warmupEpochs must be an integer in 0\.\.epochs-1.*\n.*batchSize must be a positive integer.*\n.*beta must be > 0/s,
    );
    assert.throws(() => run({ input: [3, 16, 16] }), /input has 3 channels but synthetic\/train has 1/);
    assert.throws(() => run({ limitTrain: 3 }), /raise limitTrain/);
  }),
);
