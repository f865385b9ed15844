// Random search and regularized evolution: constraints honoured, reproducible for a seed, resumed
// state equal to uninterrupted state, evolution better than random on the synthetic evaluator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archFromIndices, parseArch } from '../../src/space/archFormat';
import { sampleUniformN } from '../../src/arch/sample';
import { archCost } from '../../src/cost/netCost';
import { loadSpace } from '../../src/space/registry';
import {
  checkSatisfiable,
  formatCost,
  parseConstraint,
  sampleWithin,
  violations,
  UnsatisfiableConstraintError,
} from '../../src/cost/constraints';
import { additiveMinimum, costsAreAdditive, makeCostModel } from '../../src/cost/costModel';
import { RegularizedEvolution } from '../../src/search/evolution';
import { completeConfig } from '../../src/search/config';
import { runStudy } from '../../src/search/runStudy';
import { setupSearch } from '../../src/search/setupSearch';
import { StudyStore } from '../../src/study/store';
import { makeStudyContext } from '../../src/study/runSearch';
import { Rng } from '../../src/random/rng';
import type { SearchConfigInput } from '../../src/search/config';

async function search(c: SearchConfigInput, store = StudyStore.open(':memory:'), name = 'x') {
  const { summary, setup } = await runStudy({ config: { ...c, study: name }, store });
  const study = store.requireStudy(name);
  return { summary, trials: store.trials(study.id), store, setup, study };
}

test('constraints: parsing with K/M/G suffixes and time units, violations, formatting', () => {
  assert.deepEqual(parseConstraint('flops<=300M'), { kind: 'flops', max: 3e8, text: 'flops<=300M' });
  assert.deepEqual(parseConstraint(' params <= 2.5M '), { kind: 'params', max: 2.5e6, text: 'params<=2.5M' });
  assert.equal(parseConstraint('latency<=1500').max, 1500);
  assert.equal(parseConstraint('latency<=1.5ms').max, 1500);
  assert.equal(parseConstraint('latency<=2K').max, 2000);
  assert.equal(parseConstraint('macs<=1G').kind, 'flops');
  assert.equal(parseConstraint('flops<=1e6').max, 1e6);
  for (const bad of ['flops<300M', 'flops<=', 'memory<=3M', 'flops<=3X', 'params<=3ms', 'flops<=0']) {
    assert.throws(() => parseConstraint(bad), /invalid constraint/, bad);
  }
  const cs = ['flops<=5M', 'params<=100K'].map(parseConstraint);
  assert.deepEqual(violations(cs, { flops: 4e6, params: 1e5, latencyUs: null }), []);
  assert.deepEqual(violations(cs, { flops: 6.2e6, params: 2e5, latencyUs: null }), [
    'flops 6.20M > 5.00M',
    'params 200K > 100K',
  ]);
  assert.equal(formatCost('latency', 1234), '1.23ms');
});

test('the exact minimum of an additive cost is the per-layer minima, and no sampled architecture is cheaper', () => {
  const space = loadSpace('fbnet-s');
  assert.ok(costsAreAdditive(space));
  assert.ok(!costsAreAdditive(loadSpace('fbnetv3')));
  const model = makeCostModel(space);
  const m = model.minimum('flops');
  assert.equal(m.how, 'exact');
  // For fbnet-s every layer's cheapest op is skip where shapes allow it.
  assert.equal(m.value, archCost(space, m.arch).flops);
  for (const a of sampleUniformN(space, 2000, 3)) assert.ok(archCost(space, a).flops >= m.value);
  // Additivity itself: cost(a) - cost(base) is the sum of the per-choice differences.
  const f = (a: ReturnType<typeof archFromIndices>) => archCost(space, a).params;
  const base = space.searchDims.map(() => 0);
  const f0 = f(archFromIndices(space, base));
  for (const a of sampleUniformN(space, 50, 4)) {
    const idx = space.searchDims.map((d) => d.values.indexOf(a[d.key]!));
    let sum = f0;
    idx.forEach((v, j) => {
      const b = [...base];
      b[j] = v;
      sum += f(archFromIndices(space, b)) - f0;
    });
    assert.equal(f(a), sum);
  }
  assert.equal(additiveMinimum(space, f).value, model.minimum('params').value);
});

test('an unsatisfiable constraint is refused up front with the smallest possible cost', () => {
  const space = loadSpace('fbnet-s');
  const min = makeCostModel(space).minimum('flops').value;
  assert.throws(
    () =>
      setupSearch(
        completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', constraints: ['flops<=100K'] }),
      ),
    (err: Error) =>
      err instanceof UnsatisfiableConstraintError &&
      err.message.includes(`smallest flops is ${formatCost('flops', min)}`) &&
      /exactly: every layer at its cheapest/.test(err.message),
  );
  // A non-additive space reports the smallest of many draws.
  const v3 = loadSpace('fbnetv3');
  assert.throws(
    () => checkSatisfiable([parseConstraint('params<=1K')], makeCostModel(v3)),
    /the smallest of 4096 random architectures/,
  );
  assert.throws(
    () =>
      setupSearch(
        completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', constraints: ['latency<=1ms'] }),
      ),
    /needs a latency table: give `lut` FILE/,
  );
  // Satisfiable alone but too tight for rejection sampling: a clear error when drawing.
  const model = makeCostModel(space);
  assert.throws(
    () =>
      sampleWithin({
        space,
        model,
        constraints: [parseConstraint(`flops<=${Math.ceil(min * 1.01)}`)],
        rng: new Rng(1),
        draw: (r) => sampleUniformN(space, 1, r.uint32())[0]!,
        maxTries: 500,
        what: 'random search',
      }),
    /random search: no architecture within flops<=\d+ in 500 draws \(the closest: flops .*\); .*loosen them/,
  );
});

for (const strategy of ['random', 'evolution'] as const) {
  test(`${strategy}: every trial honours flops and params constraints, and the same seed gives the same study`, async () => {
    const c = {
      strategy,
      space: 'fbnet-s',
      evaluator: 'synthetic:3',
      trials: 60,
      seed: 11,
      constraints: ['flops<=4M', 'params<=90K'],
    };
    const a = await search(c);
    const b = await search(c);
    const other = await search({ ...c, seed: 12 });
    const space = loadSpace('fbnet-s');
    assert.equal(a.trials.length, 60);
    for (const t of a.trials) {
      assert.equal(t.state, 'complete');
      const cost = archCost(space, parseArch(space, t.arch));
      assert.ok(
        cost.flops <= 4e6 && cost.params <= 90e3,
        `trial ${t.number}: ${cost.flops} FLOPs, ${cost.params} params`,
      );
      assert.equal(t.costs.flops, cost.flops);
      assert.equal(t.costs.params, cost.params);
    }
    const key = (ts: typeof a.trials) => ts.map((t) => `${t.arch} ${t.source} ${t.metrics.accuracy}`);
    assert.deepEqual(key(a.trials), key(b.trials), 'same seed, same trials');
    assert.notDeepEqual(key(a.trials), key(other.trials), 'another seed, other trials');
    assert.equal(new Set(a.trials.map((t) => t.arch)).size, 60, 'no architecture evaluated twice');
    if (strategy === 'evolution') {
      assert.equal(
        a.trials.slice(0, 20).every((t) => t.source === 'random'),
        true,
        'the first P=20 are random',
      );
      assert.ok(a.trials.slice(20).filter((t) => t.source === 'mutation').length >= 35, 'then mutations');
    }
    for (const r of [a, b, other]) r.store.close();
  });
}

test('evolution: the population rebuilt by replaying trials equals the live one (aging: the oldest leave)', async () => {
  const r = await search({
    strategy: 'evolution',
    space: 'fbnet-s',
    evaluator: 'synthetic:5',
    trials: 45,
    seed: 2,
    options: { population: 10, sampleSize: 3 },
  });
  const live = r.setup.strategy as RegularizedEvolution;
  const fresh = new RegularizedEvolution({ population: 10, sampleSize: 3, maxTries: 100 });
  const ctx = makeStudyContext({ ...r.setup, store: r.store, study: r.study, trials: 45 }, () => {});
  for (const t of r.trials) fresh.tell(t, ctx);
  assert.deepEqual(fresh.population, live.population);
  assert.deepEqual(
    live.population.map((m) => m.number),
    Array.from({ length: 10 }, (_, i) => 35 + i),
    'the 10 most recent complete trials',
  );
  r.store.close();
});

test('evolution beats random search on the synthetic evaluator (fbnet-s, 200 trials, medians over 5 seeds)', async () => {
  const medians: Record<string, number> = {};
  for (const strategy of ['random', 'evolution']) {
    const best: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const r = await search({ strategy, space: 'fbnet-s', evaluator: `synthetic:${100 + seed}`, trials: 200, seed });
      best.push(r.summary.best!.metrics.accuracy!);
      r.store.close();
    }
    medians[strategy] = best.sort((x, y) => x - y)[2]!;
  }
  assert.ok(medians.evolution! > medians.random! + 0.005, `evolution ${medians.evolution} vs random ${medians.random}`);
});

test('a table evaluator: random search and evolution propose only its unevaluated entries within the constraints, then stop', async () => {
  const { packageRoot } = await import('../../src/packageRoot');
  const { loadTable } = await import('../../src/evaluate/index');
  const path = await import('node:path');
  const file = path.join(packageRoot(), 'bench', 'tables', 'fbnet-s-fmnist.json');
  const table = loadTable(loadSpace('fbnet-s'), file);
  const within = [...table.rows.values()].filter((m) => m.flops! <= 5e6).length;
  assert.ok(within >= 10 && within < table.rows.size, `${within} entries within flops<=5M`);
  for (const strategy of ['random', 'evolution']) {
    // Enough trials for evolution's mutations to start (population 20), more than there are entries.
    const { summary, trials } = await search({
      strategy,
      space: 'fbnet-s',
      evaluator: `table:${file}`,
      constraints: ['flops<=5M'],
      trials: within + 5,
      seed: 3,
      options: strategy === 'evolution' ? { population: 5, sampleSize: 2 } : {},
    });
    assert.equal(summary.complete, within, `${strategy}: every entry within the budget, once`);
    assert.equal(new Set(trials.map((t) => t.arch)).size, within, `${strategy}: no entry twice`);
    for (const t of trials) {
      assert.ok(table.rows.has(t.arch), `${strategy}: ${t.arch} is an entry`);
      assert.ok(t.costs.flops! <= 5e6, `${strategy}: ${t.arch} within the constraint`);
    }
    if (strategy === 'evolution')
      assert.ok(
        trials.some((t) => t.source === 'mutation'),
        'evolution mutated',
      );
  }
});
