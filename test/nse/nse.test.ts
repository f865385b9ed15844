// NSE (search-space evolution): the pool's subsets, the gates (at least one branch, the REINFORCE
// gradient), weights inherited across a round boundary, a run interrupted mid-round and resumed
// equal to an uninterrupted one, and the CLI end to end with --json. Tiny: a 2-layer space with a
// pool of 4 ops, synthetic data, one or two epochs per round.
import { studyConfig } from '../../src/search/studyConfig';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spaceFromText } from '../../src/space/loadSpace';
import { parseArch } from '../../src/space/archFormat';
import { loadDataSource } from '../../src/data/dataSource';
import { flopsCandidateCosts } from '../../src/supernet/candidateCosts';
import { supernetLayout } from '../../src/supernet/layout';
import { Rng } from '../../src/random/rng';
import {
  explorationOrder,
  initialSubsets,
  nextSubsets,
  nseOptions,
  plannedRounds,
  selectBranches,
  trimToFit,
  NSE_STATE,
  nseStrategy,
  nseSections,
} from '../../src/search/nse';
import { StudyStore } from '../../src/study/store';
import type { NseRoundRecord } from '../../src/search/nse/rounds';
import { noLeaks } from '../helpers/leakCheck';
import { tsnasAsync } from '../helpers/tsnasCli';
import { TINY_NSE } from '../helpers/tinyNseSpace';

const space = spaceFromText(TINY_NSE, 'tiny-nse.yaml');
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tsnas-nse-${tag}-`));

test('pool: seeded exploration order, keep the best, refill with unexplored ops, exhaustion', () => {
  const pools = [
    ['a', 'b', 'c', 'd', 'e'],
    ['x', 'y'],
  ];
  const order = explorationOrder(pools, 7);
  assert.deepEqual(order, explorationOrder(pools, 7));
  assert.deepEqual([...order[0]!].sort(), pools[0]);
  const s0 = initialSubsets(order, 3);
  assert.equal(s0[0]!.length, 3);
  assert.equal(s0[1]!.length, 2, 'a pool smaller than the subset: all of it');
  const explored = s0.map((s) => [...s]);
  const scores = [
    [0.2, 0.9, 0.5],
    [0.1, 0.8],
  ];
  const n = nextSubsets(order, explored, s0, scores, 1, 3);
  // Layer 1: the best (score 0.9) stays, two unexplored enter, two leave.
  assert.deepEqual(n.kept[0], [s0[0]![1]]);
  assert.deepEqual(n.added[0], order[0]!.slice(3, 5));
  assert.deepEqual([...n.dropped[0]!].sort(), [s0[0]![0], s0[0]![2]].sort());
  assert.deepEqual(n.next[0], [s0[0]![1], ...order[0]!.slice(3, 5)]);
  // Layer 2: nothing left to explore, so nothing leaves.
  assert.deepEqual(n.dropped[1], []);
  assert.deepEqual([...n.next[1]!].sort(), [...s0[1]!].sort());
  assert.equal(plannedRounds([5, 2], 3, 1, null), 2);
  assert.equal(plannedRounds([19, 19], 4, 2, null), 9);
  assert.equal(plannedRounds([19], 4, 2, 3), 3);
});

test('selection: ops at or above the threshold, at most the branches, at least one; trimmed to a budget', () => {
  const subsets = [
    ['a', 'b', 'c'],
    ['x', 'y'],
  ];
  const p = [
    [0.7, 0.2, 0.9],
    [0.1, 0.3],
  ];
  assert.deepEqual(selectBranches(subsets, p, 0.5, 3), [['c', 'a'], ['y']]);
  assert.deepEqual(selectBranches(subsets, p, 0.5, 1), [['c'], ['y']]);
  const prob = (l: number, op: string) => p[l]![subsets[l]!.indexOf(op)]!;
  const t = trimToFit(
    [
      ['c', 'a'],
      ['y', 'x'],
    ],
    prob,
    (sel) => sel.flat().length <= 2,
  );
  assert.deepEqual(t.selection, [['c'], ['y']]);
  assert.deepEqual(
    t.removed.map((r) => r.op),
    ['x', 'a'],
  );
  assert.equal(trimToFit([['c'], ['y']], prob, () => false).fits, false);
});

test('gates: a layer runs at least one branch; each gate is on with its probability', async () => {
  const { drawGates } = await import('../../src/search/nse/gatedSupernet');
  const rng = new Rng(3);
  const p = [0.1, 0.6, 0.3];
  const on = [0, 0, 0];
  const N = 20000;
  for (let i = 0; i < N; i++) {
    const g = drawGates(p, rng);
    assert.ok(g.length >= 1);
    for (const j of g) on[j]!++;
  }
  // P(on) = p_i plus the "none on" draw (prob 0.252) in proportion to p.
  const none = (1 - 0.1) * (1 - 0.6) * (1 - 0.3);
  p.forEach((pi, i) => assert.ok(Math.abs(on[i]! / N - (pi + (none * pi) / 1.0)) < 0.015, `gate ${i}: ${on[i]! / N}`));
  for (let i = 0; i < 200; i++) assert.equal(drawGates([1e-9, 1e-9], rng).length, 1);
});

test(
  'gates: the REINFORCE surrogate has the gradient adv * (m - p) + penalty * cost * p (1 - p)',
  noLeaks(async () => {
    const { GatedSupernet } = await import('../../src/search/nse/gatedSupernet');
    const { subsetLayout } = await import('../../src/search/nse/rounds');
    const { tensor } = await import('../../src/engine/creation');
    const { noGrad } = await import('../../src/engine/autograd');
    const { tidy } = await import('../../src/engine/memory');
    const layout = subsetLayout(supernetLayout(space), [
      ['ir_k3_e1', 'ir_k3_e3', 'skip'],
      ['ir_k5_e1', 'skip'],
    ]);
    const net = new GatedSupernet(layout);
    try {
      noGrad(() => {
        const a = tensor([0.5, -1, 2], [3]);
        net.choiceLayers[0]!.alpha.copy_(a);
        a.dispose();
      });
      const path = [[0, 2], [1]];
      const costs = [
        [0.3, 0.5, 0],
        [0.2, 0.1],
      ];
      tidy(() => net.alphaLoss(path, -0.7, costs, 2).backward());
      const p = net.probabilities();
      net.choiceLayers.forEach((layer, l) => {
        const g = tidy(() => layer.alpha.grad!.toArray());
        g.forEach((gi, i) => {
          const m = path[l]!.includes(i) ? 1 : 0;
          const want = -0.7 * (m - p[l]![i]!) + 2 * costs[l]![i]! * p[l]![i]! * (1 - p[l]![i]!);
          assert.ok(Math.abs(gi - want) < 1e-5, `layer ${l} op ${i}: ${gi} vs ${want}`);
        });
        layer.alpha.clearGrad();
      });
    } finally {
      net.dispose();
    }
  }),
);

function runOptions(dir: string, extra: Record<string, unknown> = {}) {
  const data = loadDataSource('synthetic:0');
  return {
    space,
    data,
    costs: flopsCandidateCosts(space, [1, 16, 16], 10, { unit: 'kMAC' }),
    input: [1, 16, 16] as [number, number, number],
    classes: 10,
    options: nseOptions.parse({
      subsetSize: 2,
      keep: 1,
      epochs: 2,
      batchSize: 32,
      limitTrain: 200,
      recalibrationBatches: 2,
      ...extra,
    }),
    seed: 5,
    dir,
  };
}

/** What a round records, without its times. */
const timeless = (rounds: ReadonlyArray<Record<string, unknown>>) =>
  JSON.parse(JSON.stringify(rounds, (k, v: unknown) => (k === 'seconds' ? undefined : v)));

test(
  'rounds: a kept op keeps its weights across the round boundary; new ops start fresh; the pool is explored',
  noLeaks(async () => {
    const { runNseRounds, subsetLayout, inheritWeights, roundDir } = await import('../../src/search/nse/rounds');
    const { GatedSupernet } = await import('../../src/search/nse/gatedSupernet');
    const { loadCheckpoint } = await import('../../src/train/checkpoint');
    const { tidy } = await import('../../src/engine/memory');
    const dir = tmp('inherit');
    try {
      const res = runNseRounds(runOptions(dir, { epochs: 1, rounds: 2 }));
      assert.equal(res.rounds.length, 2);
      const [r0, r1] = res.rounds;
      assert.equal(r0!.end, null);
      assert.equal(r1!.end, 'round limit (2)');
      assert.deepEqual(r1!.subsets, r0!.next);
      r0!.subsets.forEach((s, l) => {
        assert.deepEqual([...r0!.kept[l]!, ...r0!.dropped[l]!].sort(), [...s].sort());
        assert.ok(
          r0!.added[l]!.every((op) => !s.includes(op)),
          'added ops are unexplored',
        );
        assert.ok(r0!.kept[l]!.every((op) => r1!.subsets[l]!.includes(op)));
      });
      // Round 1's supernet, built as the run builds it, from round 0's final checkpoint.
      const net = new GatedSupernet(subsetLayout(supernetLayout(space, [1, 16, 16], 10), r1!.subsets));
      const ck = loadCheckpoint(roundDir(dir, 0));
      try {
        const { inherited, fresh } = inheritWeights(net, roundDir(dir, 0));
        const prev = ck.groups.model!;
        const own = net.stateDict();
        const kept = r0!.kept.flatMap((ops, l) => ops.map((op) => `stages.${l}.0.ops.${op}.`));
        const added = r0!.added.flatMap((ops, l) => ops.map((op) => `stages.${l}.0.ops.${op}.`));
        const keptNames = [...own.keys()].filter((n) => kept.some((k) => n.startsWith(k)));
        assert.ok(
          keptNames.some((n) => n.endsWith('weight')),
          'some kept op has weights',
        );
        for (const n of keptNames) {
          assert.ok(inherited.includes(n), n);
          assert.equal(
            tidy(() => own.get(n)!.sub(prev.get(n)!).abs().max().item()),
            0,
            `${n} equal after the boundary`,
          );
        }
        for (const n of ['stem.conv.weight', 'head.conv.weight', 'classifier.weight'])
          assert.equal(
            tidy(() => own.get(n)!.sub(prev.get(n)!).abs().max().item()),
            0,
            n,
          );
        for (const n of fresh) assert.ok(added.some((a) => n.startsWith(a)) || n.endsWith('.alpha'), `fresh: ${n}`);
        const dropped = r0!.dropped.flatMap((ops, l) => ops.map((op) => `stages.${l}.0.ops.${op}.`));
        assert.ok(dropped.length > 0);
        assert.deepEqual(
          [...own.keys(), ...inherited].filter((n) => dropped.some((d) => n.startsWith(d))),
          [],
          'dropped ops are gone',
        );
        assert.ok(
          net
            .probabilities()
            .flat()
            .every((p) => p === 0.5),
          'gates start every round at 0.5',
        );
      } finally {
        for (const g of Object.values(ck.groups)) for (const t of g.values()) t.dispose();
        net.dispose();
      }
      // The round's chosen architecture is one of the space's (multi-branch where the gates kept two).
      for (const r of res.rounds) {
        const arch = parseArch(space, r.selected);
        r.selectedOps.forEach((ops, l) => {
          assert.ok(ops.length >= 1 && ops.length <= 2);
          assert.ok(ops.every((op) => r.subsets[l]!.includes(op)));
          assert.equal(arch[`layer${l + 1}`], [...ops].sort().join('+'));
        });
        assert.ok(r.oneShotAcc >= 0 && r.oneShotAcc <= 1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  'resume: a run killed in round 2 (after its first epoch) resumes there and records what an uninterrupted run records',
  noLeaks(async () => {
    const { runNseRounds, roundEpochsDone } = await import('../../src/search/nse/rounds');
    const a = tmp('whole');
    const b = tmp('killed');
    try {
      const whole = runNseRounds(runOptions(a));
      assert.equal(whole.rounds.length, plannedRounds([4, 4], 2, 1, null));
      assert.equal(whole.rounds.at(-1)!.end, 'pool exhausted');
      let epochs = 0;
      assert.throws(
        () =>
          runNseRounds({
            ...runOptions(b),
            onEpoch: (round, e) => {
              epochs++;
              if (round === 1 && e.epoch === 1) throw new Error('killed');
            },
          }),
        /killed/,
      );
      assert.equal(epochs, 3);
      assert.equal(roundEpochsDone(b, 1), 1, "round 2's checkpoint holds its first epoch");
      const seen: Array<[number, number]> = [];
      const resumed = runNseRounds({ ...runOptions(b), onEpoch: (round, e) => seen.push([round, e.epoch]) });
      assert.equal(resumed.resumedRounds, 1);
      assert.deepEqual(seen[0], [1, 2], 'resumes at round 2, epoch 2');
      assert.deepEqual(timeless(resumed.rounds as never), timeless(whole.rounds as never));
      assert.deepEqual(resumed.final, whole.final);
      // Other settings do not resume a run's directory.
      assert.throws(() => runNseRounds(runOptions(b, { keep: 1, subsetSize: 3 })), /other settings \(.*subsetSize/);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  }),
);

test('CLI: tsnas search nse --score mixed --json trains the final network; rounds (with their scores) in the store, trials record their space', async () => {
  const dir = tmp('cli');
  try {
    fs.writeFileSync(path.join(dir, 'tiny-nse.yaml'), TINY_NSE);
    const r = await tsnasAsync(
      [
        'search',
        'nse',
        '--space',
        'tiny-nse.yaml',
        '--data',
        'synthetic:0',
        '--epochs',
        '1',
        '--subset-size',
        '2',
        '--keep',
        '1',
        '--rounds',
        '2',
        '--search-limit-train',
        '200',
        '--limit-train',
        '200',
        '--train-epochs',
        '1',
        '--threshold',
        '0.45',
        '--score',
        'mixed',
        '--angle-paths',
        '20',
        '--study',
        'n',
        '--store',
        'store.db',
        '--json',
      ],
      { cwd: dir, timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.last) as { trials: number; best: { arch: string }; final: { source: string } };
    assert.equal(out.trials, 1);
    assert.equal(out.final.source, 'nse-final');
    parseArch(space, out.best.arch);
    assert.match(r.stderr, /nse round 2: chosen .*round limit \(2\)/);
    const store = StudyStore.open(path.join(dir, 'store.db'));
    try {
      const study = store.requireStudy('n');
      const rounds = store.getState(study.id, NSE_STATE.rounds)!;
      assert.equal(rounds.length, 2);
      assert.deepEqual(rounds[1]!.subsets, rounds[0]!.next);
      // --score mixed: every round records the deciding score and the angles, from W0 kept beside its checkpoint.
      for (const rd of rounds) {
        assert.equal(rd.score, 'mixed');
        assert.ok(rd.angles!.flat().every((a) => typeof a === 'number' && a >= 0 && a <= Math.PI));
        assert.ok(rd.scores!.flat().every((v) => v >= 0 && v <= 1));
        assert.ok(
          fs.existsSync(
            path.join(store.studyDir('n', false), 'nse', `round-${rd.round}`, 'initial-weights.safetensors'),
          ),
        );
      }
      const [trial] = store.trials(study.id);
      assert.equal(trial!.arch, rounds[1]!.selected);
      assert.equal(trial!.space, 'nse/rounds.json#round-1');
      assert.ok(fs.existsSync(path.join(store.studyDir('n', false), 'nse', 'rounds.json')));
      assert.ok(store.artifacts(study.id, { kind: 'nse-rounds' }).length === 1);
      const sections = nseStrategy.reportSections!({
        study,
        config: studyConfig(study),
        trials: store.trials(study.id).map((t) => ({ ...t, finishedAt: t.finishedAt, startedAt: t.startedAt })),
        state: (key) => store.getState(study.id, key),
      });
      assert.deepEqual(
        sections.map((s) => s.title),
        ["NSE: the space's evolution", "NSE: the gates' probabilities"],
      );
      for (const op of rounds[0]!.subsets.flat()) assert.ok(sections[0]!.html!.includes(op));
      assert.ok(sections[0]!.html!.includes('stand-alone'), 'the final trial shows its stand-alone accuracy');
      assert.match(sections[0]!.html!, /<b>mixed<\/b>/, 'the report names the deciding score');
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'rounds: the choice is trimmed to the constraints, least probable extra branch first; a choice that cannot fit says so',
  noLeaks(async () => {
    const { runNseRounds } = await import('../../src/search/nse/rounds');
    const { archCost } = await import('../../src/cost/netCost');
    const dir = tmp('fits');
    const dir2 = tmp('nofit');
    const dir3 = tmp('never');
    try {
      // Threshold low enough that every op passes: without constraints each layer keeps 2 branches.
      const loose = runNseRounds(runOptions(dir, { epochs: 1, rounds: 1, threshold: 0.01 }));
      assert.ok(loose.rounds[0]!.selectedOps.every((ops) => ops.length === 2));
      const budget = loose.rounds[0]!.flops - 1;
      const fits = (a: Record<string, unknown>) => archCost(space, a as never, { input: [1, 16, 16] }).flops <= budget;
      const tight = runNseRounds({ ...runOptions(dir2, { epochs: 1, rounds: 1, threshold: 0.01 }), fits });
      const r = tight.rounds[0]!;
      assert.ok(r.trimmed.length >= 1);
      assert.ok(r.flops <= budget || !r.withinConstraints);
      assert.ok(r.selectedOps.every((ops) => ops.length >= 1));
      const never = runNseRounds({
        ...runOptions(dir3, { epochs: 1, rounds: 1, threshold: 0.01 }),
        fits: () => false,
      });
      assert.equal(never.rounds[0]!.withinConstraints, false);
      assert.ok(never.rounds[0]!.selectedOps.every((ops) => ops.length === 1));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(dir2, { recursive: true, force: true });
      fs.rmSync(dir3, { recursive: true, force: true });
    }
  }),
);

test('kill -9 during the rounds, then --resume: finished rounds kept as they were, the rest run, the final network trained', async () => {
  const { spawnTsnas, tsnas } = await import('../helpers/tsnasCli');
  const dir = tmp('kill');
  let stop: (() => Promise<void>) | null = null;
  try {
    const spaceFile = path.join(dir, 'tiny-nse.yaml');
    fs.writeFileSync(spaceFile, TINY_NSE);
    const db = path.join(dir, 'store.db');
    const child = spawnTsnas([
      'search',
      'nse',
      '--space',
      spaceFile,
      '--data',
      'synthetic:0',
      '--epochs',
      '2',
      '--subset-size',
      '2',
      '--keep',
      '1',
      '--search-limit-train',
      '400',
      '--limit-train',
      '200',
      '--train-epochs',
      '1',
      '--study',
      'k',
      '--store',
      db,
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    let done = false;
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    void exited.then(() => {
      done = true;
    });
    stop = async () => {
      if (!done) child.kill('SIGKILL');
      await exited;
    };
    const rounds = (): NseRoundRecord[] => {
      if (!fs.existsSync(db)) return [];
      let store: StudyStore | null = null;
      try {
        store = StudyStore.open(db);
        const s = store.getStudy('k');
        return s ? [...(store.getState(s.id, NSE_STATE.rounds) ?? [])] : [];
      } catch (e) {
        if (done) throw e;
        return []; // the store is still being made by the other process
      } finally {
        store?.close();
      }
    };
    const t0 = Date.now();
    for (;;) {
      if (done) assert.fail(`the search ended before it was killed:\n${stderr}`);
      if (rounds().length >= 1) break;
      // A guard against a hung search, not a speed check.
      if (Date.now() - t0 > 600_000) assert.fail(`no round finished in 10 minutes:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const killed = rounds();
    assert.ok(killed.length >= 1, stderr);
    assert.ok(killed.length >= 1 && killed.length < 3, `killed during the rounds (${killed.length} done)`);
    const r = tsnas(['search', '--resume', 'k', '--store', db, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`nse: resuming after round ${killed.length} of 3`));
    for (let n = 1; n <= killed.length; n++)
      assert.doesNotMatch(r.stderr, new RegExp(`nse round ${n}/3 epoch`), `round ${n} is not trained again`);
    const after = rounds();
    assert.equal(after.length, 3);
    assert.deepEqual(after.slice(0, killed.length), killed, 'finished rounds are unchanged');
    assert.equal(after.at(-1)!.end, 'pool exhausted');
    const out = JSON.parse(r.last) as { trials: number; best: { arch: string } };
    assert.equal(out.trials, 1);
    assert.equal(out.best.arch, after.at(-1)!.selected);
  } finally {
    await stop?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('scores: ranks scaled to 1..0 with ties shared; mixed is the mean rank; angle ranks an op with no path last', async () => {
  const { normalizedRanks, roundScores } = await import('../../src/search/nse/opScores');
  assert.deepEqual(normalizedRanks([0.2, 0.9, 0.5]), [0, 1, 0.5]);
  assert.deepEqual(normalizedRanks([0.3, 0.3, 0.1, NaN]), [(2 + 0.5) / 3, (2 + 0.5) / 3, 1 / 3, 0]);
  assert.deepEqual(normalizedRanks([0.7]), [1]);
  const p = [[0.9, 0.5, 0.1]];
  const a = [[0.1, 0.3, 0.2]];
  assert.deepEqual(roundScores('probability', p, null), p);
  assert.deepEqual(roundScores('angle', p, [[0.1, NaN, 0.2]]), [[0.1, -1, 0.2]]);
  assert.deepEqual(roundScores('mixed', p, a), [[(1 + 0) / 2, (0.5 + 1) / 2, (0 + 0.5) / 2]]);
  assert.throws(() => roundScores('angle', p, null), /needs the ops' angles/);
});

test(
  "angle score: each round records the angles the shared ABS functions give for its weights from each op's kept initial weights, and they decide what stays",
  noLeaks(async () => {
    const { runNseRounds, subsetLayout, roundDir } = await import('../../src/search/nse/rounds');
    const { GatedSupernet } = await import('../../src/search/nse/gatedSupernet');
    const { INITIAL_WEIGHTS_FILE } = await import('../../src/search/nse/initialWeights');
    const { loadCheckpoint } = await import('../../src/train/checkpoint');
    const { loadSafetensors } = await import('../../src/engine/safetensors');
    const { manualSeed } = await import('../../src/engine/creation');
    const { dispose, tidy } = await import('../../src/engine/memory');
    const { angleStats, pathAngle, snapshotWeights, disposeSnapshot } = await import('../../src/supernet/pathAngle');
    const { scoreOps } = await import('../../src/supernet/angleShrinking');
    const { PathSampler } = await import('../../src/supernet/pathSampler');
    const { deriveSeed, hashString, rngFor } = await import('../../src/random/seeds');
    const dir = tmp('angle');
    try {
      const res = runNseRounds(runOptions(dir, { epochs: 1, rounds: 2, score: 'angle', anglePaths: 20 }));
      const full = supernetLayout(space, [1, 16, 16], 10);
      const same = (a: import('../../src/engine/tensor').Tensor, b: import('../../src/engine/tensor').Tensor) =>
        tidy(() => a.sub(b).abs().max().item()) === 0;
      const w0 = res.rounds.map(
        (r) => loadSafetensors(path.join(roundDir(dir, r.round), INITIAL_WEIGHTS_FILE)).tensors,
      );
      try {
        for (const r of res.rounds) {
          assert.equal(r.score, 'angle');
          const net = new GatedSupernet(subsetLayout(full, r.subsets));
          net.to({ memoryFormat: 'channels_last' });
          const ck = loadCheckpoint(roundDir(dir, r.round));
          try {
            net.loadStateDict(ck.groups.model!);
            const stats = angleStats(net, w0[r.round]!);
            const want = net.layout.layers.map((l) => l.candidates.map(() => NaN));
            for (const s of scoreOps({
              layout: net.layout,
              sampler: new PathSampler({ layout: net.layout }),
              pathScore: (p) => pathAngle(stats, p),
              pathsPerOp: 20,
              rng: rngFor(5, hashString('nse-angle'), r.round),
            }))
              want[s.layer]![s.op] = s.score;
            assert.deepEqual(r.angles, want, `round ${r.round}: the recorded angles are the shared functions'`);
            assert.deepEqual(r.scores, want, 'the angle is the deciding score');
            assert.ok(
              want.flat().some((a) => a > 0),
              'trained ops moved from their initial weights',
            );
          } finally {
            for (const g of Object.values(ck.groups)) dispose([...g.values()]);
            net.dispose();
          }
        }
        // The angle decided what stayed: per layer, the best by angle.
        const [r0, r1] = res.rounds;
        r0!.subsets.forEach((subset, l) => {
          const best = subset[r0!.angles![l]!.indexOf(Math.max(...(r0!.angles![l]! as number[])))];
          assert.deepEqual(r0!.kept[l], [best]);
        });
        // W0 is kept as ABS keeps it: a kept op and the stem keep round 0's, a new op has its fresh initialisation.
        const keptNames = [...w0[1]!.keys()].filter((n) =>
          r0!.kept.some((ops, l) => ops.some((op) => n.startsWith(`stages.${l}.0.ops.${op}.`))),
        );
        assert.ok(keptNames.length > 0);
        for (const n of [...keptNames, 'stem.conv.weight', 'classifier.weight'])
          assert.ok(same(w0[1]!.get(n)!, w0[0]!.get(n)!), `${n}: round 0's initial weights`);
        manualSeed(deriveSeed(5, hashString('nse-round'), 1));
        const fresh = new GatedSupernet(subsetLayout(full, r1!.subsets));
        const snap = snapshotWeights(fresh);
        try {
          const addedNames = [...snap.keys()].filter((n) =>
            r0!.added.some((ops, l) => ops.some((op) => n.startsWith(`stages.${l}.0.ops.${op}.`))),
          );
          assert.ok(addedNames.length > 0);
          for (const n of addedNames)
            assert.ok(same(w0[1]!.get(n)!, snap.get(n)!), `${n}: its initialisation in round 1`);
        } finally {
          disposeSnapshot(snap);
          fresh.dispose();
        }
        const html = nseSections({ rounds: res.rounds, layers: [], settings: '', threshold: 0.5 })[0]!.html ?? '';
        assert.match(html, /<b>angle<\/b>/, 'the report says which score decided');
      } finally {
        for (const m of w0) dispose([...m.values()]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  'mixed score: a run killed in round 2 resumes with the same initial weights and records what an uninterrupted run records',
  noLeaks(async () => {
    const { runNseRounds } = await import('../../src/search/nse/rounds');
    const a = tmp('mixed-whole');
    const b = tmp('mixed-killed');
    const opts = { rounds: 2, score: 'mixed', anglePaths: 10 };
    try {
      const whole = runNseRounds(runOptions(a, opts));
      assert.ok(whole.rounds.every((r) => r.score === 'mixed' && r.angles && r.scores));
      assert.throws(
        () =>
          runNseRounds({
            ...runOptions(b, opts),
            onEpoch: (round, e) => {
              if (round === 1 && e.epoch === 1) throw new Error('killed');
            },
          }),
        /killed/,
      );
      const resumed = runNseRounds(runOptions(b, opts));
      assert.equal(resumed.resumedRounds, 1);
      assert.deepEqual(timeless(resumed.rounds as never), timeless(whole.rounds as never));
      assert.throws(() => runNseRounds(runOptions(b, { ...opts, score: 'angle' })), /other settings \(.*score/);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  }),
);
