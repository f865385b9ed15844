// One-shot supernet parts (SPOS, ABS): a step updates only the sampled path's weights (an op off
// the path keeps its weights exactly, so no momentum and no weight decay touched it; its
// optimizer state is not even created), one-shot training resumed after an interruption ends with
// the weights of an uninterrupted run, the one-shot accuracy with and without BatchNorm
// recalibration, the path angle (identical weights 0, negated pi, scaled 0, a known right angle,
// identity ops adding nothing), op scoring by sampled paths, and shrinking that never empties a
// layer. No tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { manualSeed } from '../../src/engine/creation';
import { noGrad } from '../../src/engine/autograd';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import { BatchLoader, type Batch } from '../../src/data/loader';
import { stratifiedSplit } from '../../src/data/split';
import { SGD } from '../../src/optim/sgd';
import { Rng } from '../../src/random/rng';
import { weightDecayGroups } from '../../src/train/weightDecayGroups';
import {
  allOps,
  angleStats,
  disposeSnapshot,
  dropOp,
  OneShotAccuracy,
  opsToDrop,
  PathSampler,
  pathAngle,
  pathCount,
  pathStep,
  scoreOps,
  snapshotWeights,
  SupernetNetwork,
  supernetLayout,
  trainOneShot,
  withoutOps,
  type OpScore,
} from '../../src/supernet';
import { noLeaks } from '../helpers/leakCheck';
import { tinyData, tinySpace } from '../helpers/tinySpace';

const layout = () => supernetLayout(tinySpace());

function loaders(n = 256) {
  const data = tinyData();
  const split = stratifiedSplit(data.train, 0.25, 0, n);
  const o = { mean: data.mean, std: data.std, batchSize: 32 };
  return {
    train: new BatchLoader(data.train, split.train, { ...o, shuffle: true, seed: 1, dropLast: true }),
    val: new BatchLoader(data.train, split.val, { ...o, shuffle: false, seed: 0 }),
  };
}

const snapshotAll = (m: SupernetNetwork) => new Map([...m.stateDict()].map(([k, t]) => [k, t.toArray()]));

test(
  'a step on one path changes only its weights: ops off the path keep weights exactly, get no momentum buffer, no weight decay',
  noLeaks(() => {
    manualSeed(3);
    const net = new SupernetNetwork(layout());
    const { train, val } = loaders();
    // Strong weight decay and momentum: either would move an off-path op if it were applied.
    const opt = new SGD(weightDecayGroups(net.parameters(), 0.5), { lr: 0.1, momentum: 0.9 });
    try {
      net.train();
      const batches: Batch[] = [];
      for (const b of train.epoch(0)) {
        batches.push(b);
        if (batches.length === 2) break;
      }
      const pathA = [0, 0, 0, 0];
      const pathB = [1, 1, 1, 0];
      tidy(() => pathStep(net, opt, batches[0]!, pathA));
      opt.step();
      const afterA = snapshotAll(net);
      tidy(() => pathStep(net, opt, batches[1]!, pathB));
      opt.step();
      const afterB = snapshotAll(net);
      for (const b of batches) {
        b.x.dispose();
        b.y.dispose();
      }
      const onB = (name: string) =>
        /ops\.(ir_k3_e3)\./.test(name) || /stages\.2\.0\.ops\.ir_k3_e1\./.test(name) || !/\.ops\./.test(name);
      let offChecked = 0;
      let onChanged = 0;
      for (const [name, v] of afterB) {
        const before = afterA.get(name)!;
        const same = v.every((x, i) => x === before[i]);
        if (/\.ops\.ir_k3_e1\./.test(name) && !/^stages\.2\.0\./.test(name)) {
          // Path A's ops in layers 0-2: off path B. Their momentum (from step A) and the weight decay would both move them.
          assert.ok(same, `${name} changed in a step whose path does not contain it`);
          offChecked++;
        } else if (/\.ops\.skip\./.test(name)) {
          assert.ok(same, `${name} (never on a path) changed`);
        } else if (onB(name) && /weight$/.test(name) && !/bn|norm/.test(name)) {
          if (!same) onChanged++;
        }
      }
      assert.ok(offChecked >= 6, `checked ${offChecked} off-path tensors`);
      assert.ok(onChanged >= 4, `only ${onChanged} of path B's weights changed`);
      // The optimizer holds momentum only for parameters that were ever on a path.
      const sd = opt.stateDict();
      const stepsPerParam = sd.meta.paramSteps.flat();
      const params = opt.groups.flatMap((g) => g.params);
      const names = new Map(net.namedParameters().map(([n, p]) => [p, n]));
      params.forEach((p, i) => {
        const n = names.get(p)!;
        if (/\.ops\.skip\./.test(n)) assert.equal(stepsPerParam[i], 0, `${n} was updated`);
        if (/\.ops\.ir_k3_e1\./.test(n) && !/^stages\.2\.0\./.test(n))
          assert.equal(stepsPerParam[i], 1, `${n}: updates`);
      });
      assert.ok(
        [...sd.tensors.keys()].length < params.length,
        'momentum buffers exist only for parameters that had a gradient',
      );
    } finally {
      opt.dispose();
      train.dispose();
      val.dispose();
      net.dispose();
    }
  }),
);

test(
  'one-shot training within a one-op-per-layer space leaves every other op (weights and BatchNorm statistics) untouched',
  noLeaks(() => {
    manualSeed(4);
    const lay = layout();
    const net = new SupernetNetwork(lay);
    const { train, val } = loaders();
    try {
      const before = snapshotAll(net);
      const sampler = new PathSampler({ layout: lay, active: [[2], [0], [1], [0]] });
      const res = trainOneShot({
        supernet: net,
        loader: train,
        sampler,
        epochs: 1,
        lr: 0.1,
        weightDecay: 0.1,
        seed: 0,
      });
      assert.equal(res.records.length, 1);
      const after = snapshotAll(net);
      const onPath = [
        'stages.0.0.ops.skip.',
        'stages.1.0.ops.ir_k3_e1.',
        'stages.1.1.ops.ir_k3_e3.',
        'stages.2.0.ops.ir_k3_e1.',
      ];
      let changedOn = 0;
      for (const [name, v] of after) {
        const same = v.every((x, i) => x === before.get(name)![i]);
        if (name.includes('.ops.') && !onPath.some((p) => name.startsWith(p)))
          assert.ok(same, `${name} changed off the path`);
        else if (!same) changedOn++;
      }
      assert.ok(changedOn > 10, `only ${changedOn} tensors of the path changed`);
    } finally {
      train.dispose();
      val.dispose();
      net.dispose();
    }
  }),
);

test(
  'one-shot training killed after an epoch and resumed from its checkpoint ends with the weights of an uninterrupted run',
  noLeaks(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-oneshot-'));
    const lay = layout();
    const run = (ck: string | undefined, stopAfter?: number) => {
      manualSeed(5);
      const net = new SupernetNetwork(lay);
      const { train, val } = loaders();
      try {
        const sampler = new PathSampler({ layout: lay });
        let error: unknown = null;
        try {
          trainOneShot({
            supernet: net,
            loader: train,
            sampler,
            epochs: 3,
            lr: 0.05,
            seed: 9,
            checkpointDir: ck,
            onEpoch: (r) => {
              if (r.epoch === stopAfter) throw new Error('killed');
            },
          });
        } catch (e) {
          error = e;
        }
        return { weights: snapshotAll(net), error };
      } finally {
        train.dispose();
        val.dispose();
        net.dispose();
      }
    };
    try {
      const straight = run(undefined);
      const ck = path.join(dir, 'supernet');
      const killed = run(ck, 1);
      assert.match(String((killed.error as Error)?.message), /killed/);
      assert.equal(JSON.parse(fs.readFileSync(path.join(ck, 'checkpoint.json'), 'utf8')).epoch, 1);
      const resumed = run(ck);
      assert.equal(resumed.error, null);
      for (const [name, v] of straight.weights)
        assert.deepEqual(resumed.weights.get(name), v, `${name} differs from the uninterrupted run`);
      // A checkpoint of other settings is refused.
      manualSeed(5);
      const net = new SupernetNetwork(lay);
      const { train, val } = loaders();
      try {
        assert.throws(
          () =>
            trainOneShot({
              supernet: net,
              loader: train,
              sampler: new PathSampler({ layout: lay }),
              epochs: 3,
              lr: 0.07,
              seed: 9,
              checkpointDir: ck,
            }),
          /another one-shot training \(lr: 0.05 in the checkpoint, 0.07 now\)/,
        );
      } finally {
        train.dispose();
        val.dispose();
        net.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  'one-shot accuracy: recalibrated statistics differ from the shared ones, the same path measures the same twice',
  noLeaks(() => {
    manualSeed(6);
    const lay = layout();
    const net = new SupernetNetwork(lay);
    const { train, val } = loaders(400);
    const acc = new OneShotAccuracy(net, { train, val, recalBatches: 3 });
    try {
      trainOneShot({
        supernet: net,
        loader: train,
        sampler: new PathSampler({ layout: lay }),
        epochs: 2,
        lr: 0.05,
        seed: 1,
      });
      assert.equal(acc.recalBatches, 3);
      const p = [0, 1, 0, 0];
      const stats = () =>
        net
          .namedBuffers()
          .filter(([n]) => n.includes('running_mean'))
          .map(([, b]) => b.toArray());
      const shared = stats();
      const a1 = acc.accuracy(p);
      const recal = stats();
      assert.notDeepEqual(recal, shared, 'recalibration must change the running statistics');
      const a2 = acc.accuracy(p);
      assert.equal(a1, a2);
      assert.ok(a1 >= 0 && a1 <= 1);
      const a3 = acc.accuracy(p, { recalibrate: false });
      assert.equal(a3, a1, "without recalibration the statistics are the last path's, here the same path's");
      assert.equal(acc.measured, 3);
    } finally {
      acc.dispose();
      train.dispose();
      val.dispose();
      net.dispose();
    }
  }),
);

test(
  'path angle: 0 for identical weights and for scaled ones, pi for negated ones; a known right angle; an identity op adds nothing',
  noLeaks(() => {
    manualSeed(7);
    const lay = layout();
    const net = new SupernetNetwork(lay);
    const w0 = snapshotWeights(net);
    const setAll = (f: (w: Tensor, w0: Tensor) => Tensor) =>
      noGrad(() => {
        for (const [n, p] of net.namedParameters()) if (p.rank >= 2) tidy(() => p.copy_(f(p, w0.get(n)!)));
      });
    try {
      const paths = [
        [0, 0, 0, 0],
        [2, 1, 2, 0],
        [1, 2, 1, 0],
      ];
      let s = angleStats(net, w0);
      for (const p of paths) assert.ok(pathAngle(s, p) < 1e-3, `identical weights: ${pathAngle(s, p)}`);
      // skip in layer 0 (8 -> 8, stride 1) is an identity: no weights.
      assert.deepEqual(s.perOp[0]![2], { dot: 0, initial: 0, current: 0 });
      setAll((_, a) => a.mul(3));
      s = angleStats(net, w0);
      for (const p of paths) assert.ok(pathAngle(s, p) < 1e-3);
      setAll((_, a) => a.neg());
      s = angleStats(net, w0);
      for (const p of paths) assert.ok(Math.abs(pathAngle(s, p) - Math.PI) < 1e-3, `negated: ${pathAngle(s, p)}`);
      // Known geometry from the sums: cos = dot / sqrt(|a|^2 |b|^2).
      const stats = {
        fixed: { dot: 0, initial: 1, current: 1 },
        perOp: [
          [
            { dot: 1, initial: 1, current: 1 },
            { dot: 0, initial: 0, current: 0 },
          ],
        ],
      };
      assert.ok(Math.abs(pathAngle(stats, [1]) - Math.PI / 2) < 1e-12, 'orthogonal: pi/2');
      // (fixed, op 0): a = (a1, a2), b = (b1, b2) with a.b = 1, |a|^2 = |b|^2 = 2: cos 1/2.
      assert.ok(Math.abs(pathAngle(stats, [0]) - Math.PI / 3) < 1e-12, 'cos 1/2: 60 degrees');
    } finally {
      disposeSnapshot(w0);
      net.dispose();
    }
  }),
);

test('scoring ops by sampled paths: every active op scored, the fixed op respected, constraints honoured', () => {
  const lay = layout();
  const sampler = new PathSampler({ layout: lay, feasible: (p) => p[1] !== 1 });
  const seen: number[][] = [];
  const scores = scoreOps({
    layout: lay,
    sampler,
    pathScore: (p) => {
      seen.push([...p]);
      return p.reduce((a, b) => a + b, 0);
    },
    pathsPerOp: 20,
    rng: new Rng(1),
  });
  assert.equal(scores.length, 3 + 3 + 3 + 1);
  assert.ok(
    seen.every((p) => p[1] !== 1),
    'an infeasible path was scored',
  );
  const infeasible = scores.find((s) => s.layer === 1 && s.op === 1)!;
  assert.equal(infeasible.paths, 0);
  assert.ok(Number.isNaN(infeasible.score));
  // 9 other paths exist for an op of layer 0 (3 x 3 x 1): no more are drawn.
  assert.equal(scores.find((s) => s.layer === 0 && s.op === 0)!.paths, 9);
  // The lowest score is dropped first: an op with no feasible path before any other.
  const drop = opsToDrop(allOps(lay), scores, 1);
  assert.deepEqual([drop[0]!.layer, drop[0]!.op], [1, 1]);
});

test('shrinking never empties a layer and drops the lowest scores first', () => {
  const lay = layout();
  const active = allOps(lay);
  // Layer 0 holds the three lowest scores: only two may go.
  const scores: OpScore[] = [];
  active.forEach((ops, layer) =>
    ops.forEach((op) =>
      scores.push({ layer, op, key: `l${layer}`, name: `o${op}`, score: layer === 0 ? op : 10 + op, paths: 1 }),
    ),
  );
  const drop = opsToDrop(active, scores, 3);
  assert.deepEqual(
    drop.map((d) => [d.layer, d.op]),
    [
      [0, 0],
      [0, 1],
      [1, 0],
    ],
  );
  const all = opsToDrop(active, scores, 100);
  const left = withoutOps(active, all);
  assert.ok(
    left.every((ops) => ops.length === 1),
    JSON.stringify(left),
  );
  assert.equal(pathCount(left), 1);
  assert.throws(() => dropOp(left, 0, left[0]![0]!), /last op/);
  assert.throws(() => new PathSampler({ layout: lay, active: [[], [0], [0], [0]] }), /layer layer1 has no op left/);
});

test('constrained path sampling: cost bins are drawn uniformly, paths stay within the active ops and the fixed op', () => {
  const lay = layout();
  const costs = { unit: 'MMAC' as const, fixed: 0, perLayer: lay.layers.map((l) => l.candidates.map((_, i) => i)) };
  const sampler = new PathSampler({
    layout: lay,
    active: [[0, 1, 2], [0, 2], [0, 1, 2], [0]],
    bins: { costs, count: 2 },
  });
  const rng = new Rng(3);
  const sums: number[] = [];
  for (let k = 0; k < 400; k++) {
    const p = sampler.draw(rng, k % 2 ? { layer: 2, op: 1 } : undefined)!;
    assert.ok([0, 1, 2].includes(p[0]!) && [0, 2].includes(p[1]!) && p[3] === 0, p.join('-'));
    if (k % 2) assert.equal(p[2], 1);
    else sums.push(p.reduce((a, b) => a + b, 0));
  }
  // Costs 0..6 in two bins [0, 3) and [3, 6]: about half the paths in each, though uniform paths
  // put 11/18 of them in the upper bin.
  const low = sums.filter((s) => s < 3).length / sums.length;
  assert.ok(low > 0.4 && low < 0.6, `share in the lower bin ${low}`);
});
