// The pure genetic algorithm (src/search/genetic.ts) on a toy genome: bit strings whose fitness
// is a weighted count of ones, feasible when at most MAX_ONES bits are set, so the optimum is known
// (the MAX_ONES heaviest bits). Then architectures of a space as genomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/random/rng';
import {
  adaptiveRate,
  evolve,
  FBNETV3_SEARCH,
  makeChild,
  SPOS_SEARCH,
  tournament,
  type EvolveOptions,
  type GenomeOps,
  type Parent,
} from '../../src/search/genetic';
import { archGenome, withinConstraints } from '../../src/search/archGenome';
import { sampleUniform } from '../../src/arch/sample';
import { parseConstraint } from '../../src/cost/constraints';
import { makeCostModel } from '../../src/cost/costModel';
import { loadSpace } from '../../src/space/registry';

type Bits = number[];
const N = 12;
const MAX_ONES = 5;
/** Bit i weighs i + 1: the optimum sets the top MAX_ONES bits. */
const weight = (b: Bits) => b.reduce((s, v, i) => s + v * (i + 1), 0);
const ones = (b: Bits) => b.reduce((s, v) => s + v, 0);
const feasible = (b: Bits) => ones(b) <= MAX_ONES;
const OPTIMUM = Array.from({ length: MAX_ONES }, (_, i) => N - i).reduce((s, v) => s + v, 0);
/** Feasible bit strings: sum over k <= MAX_ONES of C(N, k). */
const FEASIBLE_COUNT = [1, 12, 66, 220, 495, 792].reduce((s, v) => s + v, 0);

function bitOps(
  n = N,
  spy?: { mutate?: (parent: Bits, rate: number) => void; crossover?: (a: Bits, b: Bits, rate: number) => void },
): GenomeOps<Bits> {
  return {
    random: (rng) => Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0)),
    mutate: (p, rng, rate) => {
      spy?.mutate?.(p, rate);
      return p.map((v) => (rng.next() < rate ? 1 - v : v));
    },
    crossover: (a, b, rng, rate) => {
      spy?.crossover?.(a, b, rate);
      return a.map((v, i) => (rng.next() < rate ? b[i]! : v));
    },
    key: (b) => b.join(''),
  };
}

/** evolve with a fitness that records every genome it scores. */
function run(o: Partial<EvolveOptions<Bits>> & { seed?: number } = {}) {
  const scored: Bits[][] = [];
  const r = evolve<Bits>({
    ops: bitOps(),
    feasible,
    rng: o.seed ?? 1,
    population: 20,
    parents: 5,
    mutants: 10,
    crossovers: 10,
    mutationRate: 0.15,
    generations: 30,
    ...o,
    fitness: (gs) => {
      scored.push([...gs]);
      return (o.fitness ?? ((g) => g.map(weight)))(gs);
    },
  });
  return { ...r, scored };
}

test('evolve finds the optimum of the toy problem, evaluating a fraction of the feasible set', () => {
  const r = run();
  assert.equal(r.best.fitness, OPTIMUM);
  assert.equal(r.best.key, '000000011111');
  assert.ok(r.evaluated.length < FEASIBLE_COUNT / 2, `evaluated ${r.evaluated.length} of ${FEASIBLE_COUNT}`);
  assert.deepEqual(
    r.top.map((t) => t.fitness),
    [...r.top.map((t) => t.fitness)].sort((a, b) => b - a),
    'top is best first',
  );
  assert.equal(r.top.length, 5);
  // The history's running best never falls and ends at the optimum.
  for (let i = 1; i < r.history.length; i++) assert.ok(r.history[i]!.best >= r.history[i - 1]!.best);
  assert.equal(r.history.at(-1)!.best, OPTIMUM);
});

test('evolve scores only feasible genomes, drops infeasible seeds and keeps feasible ones first', () => {
  const seeds = [
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  ];
  const r = run({ seeds });
  for (const batch of r.scored)
    for (const g of batch) assert.ok(feasible(g), `scored an infeasible genome ${g.join('')}`);
  const first = r.evaluated.filter((e) => e.generation === 0);
  assert.equal(first.length, 20);
  assert.deepEqual(
    first.map((e) => e.origin).slice(0, 2),
    ['seed', 'random'],
    'one feasible seed (the duplicate once), then random',
  );
  assert.equal(first[0]!.key, '100000000001');
  assert.equal(r.history[0]!.made.seed, 1);
});

test('evolve never evaluates a key twice, nor one it was told was seen', () => {
  const seen = new Set(['000000011111', '000000001111']);
  const r = run({ seen, generations: 40 });
  const keys = r.scored.flat().map((g) => g.join(''));
  assert.equal(new Set(keys).size, keys.length, 'a key was scored twice');
  for (const k of seen) assert.ok(!keys.includes(k), `${k} was seen elsewhere`);
  assert.equal(keys.length, r.evaluated.length);
  // The seen optimum is not found; the next best is.
  assert.equal(r.best.fitness, OPTIMUM - 1);
});

test('evolve stops by its rule: after `generations`, after `patience` generations without improvement, or when nothing new is left', () => {
  const all = run({ generations: 7 });
  assert.equal(all.stopped, 'generations');
  assert.equal(all.history.length, 7);
  assert.deepEqual(
    all.history.map((h) => h.generation),
    [0, 1, 2, 3, 4, 5, 6],
  );

  // A flat fitness never improves after the first generation: patience 3 stops at generation 3.
  const flat = run({ generations: 50, patience: 3, fitness: (gs) => gs.map(() => 1) });
  assert.equal(flat.stopped, 'patience');
  assert.deepEqual(
    flat.history.map((h) => h.improved),
    [true, false, false, false],
  );

  // On the toy problem: the run ends `patience` generations after the last improvement.
  const p = run({ generations: 200, patience: 4 });
  assert.equal(p.stopped, 'patience');
  const lastImproved = p.history.map((h) => h.improved).lastIndexOf(true);
  assert.equal(p.history.length - 1, lastImproved + 4);
  assert.ok(p.history.length < 200);

  // Three bits: eight genomes; the run stops once it has evaluated all it can reach.
  const tiny = evolve<Bits>({
    ops: bitOps(3),
    rng: 2,
    population: 4,
    parents: 2,
    mutants: 2,
    crossovers: 2,
    mutationRate: 0.5,
    generations: 100,
    fitness: (gs) => gs.map(weight),
  });
  assert.equal(tiny.stopped, 'exhausted');
  assert.ok(tiny.evaluated.length <= 8);
  assert.equal(new Set(tiny.evaluated.map((e) => e.key)).size, tiny.evaluated.length);
});

test('adaptive rates fall for fitter parents: high below the pool mean, low at its best', () => {
  const rate = adaptiveRate({ high: 0.4, low: 0.1 });
  const pool = { max: 10, mean: 6 };
  assert.equal(rate(2, pool), 0.4);
  assert.equal(rate(6, pool), 0.4);
  assert.ok(Math.abs(rate(8, pool) - 0.25) < 1e-12);
  assert.equal(rate(10, pool), 0.1);
  assert.equal(rate(5, { max: 5, mean: 5 }), 0.4, 'no spread: nothing to protect');
  assert.throws(() => adaptiveRate({ high: 0.1, low: 0.2 }), /low <= high/);

  // Inside evolve: within a generation (one pool), a fitter parent never gets a higher rate.
  const used: Array<{ generation: number; fitness: number; rate: number }> = [];
  let generation = 0;
  const r = evolve<Bits>({
    ops: bitOps(N, {
      mutate: (p, rate) => used.push({ generation, fitness: weight(p), rate }),
      crossover: (a, _b, rate) => used.push({ generation: generation + 0.5, fitness: weight(a), rate }),
    }),
    feasible,
    rng: 3,
    population: 20,
    parents: 8,
    mutants: 10,
    crossovers: 10,
    generations: 6,
    mutationRate: adaptiveRate({ high: 0.4, low: 0.05 }),
    crossoverRate: adaptiveRate({ high: 0.5, low: 0.1 }),
    fitness: (gs) => {
      generation++;
      return gs.map(weight);
    },
  });
  assert.equal(r.history.length, 6);
  let distinct = 0;
  for (const g of new Set(used.map((u) => u.generation))) {
    const byFitness = used.filter((u) => u.generation === g).sort((a, b) => a.fitness - b.fitness);
    for (let i = 1; i < byFitness.length; i++) {
      assert.ok(
        byFitness[i]!.rate <= byFitness[i - 1]!.rate + 1e-12,
        `generation ${g}: fitness ${byFitness[i]!.fitness} got rate ${byFitness[i]!.rate} > ${byFitness[i - 1]!.rate}`,
      );
    }
    distinct += new Set(byFitness.map((u) => u.rate)).size > 1 ? 1 : 0;
  }
  assert.ok(distinct > 0, 'the rates did adapt');
});

test('evolve is deterministic for a seed and differs for another', () => {
  const a = run({ seed: 7 });
  const b = run({ seed: 7 });
  const c = run({ seed: 8 });
  const keys = (r: typeof a) => r.evaluated.map((e) => `${e.generation}:${e.origin}:${e.key}`);
  assert.deepEqual(keys(a), keys(b));
  assert.deepEqual(a.history, b.history);
  assert.notDeepEqual(keys(a), keys(c));
});

test('SPOS settings: 25 mutants + 25 crossovers, random fill to 50 per generation, parents from the top 10', () => {
  const n = 40;
  const fitness = new Map<string, number>();
  const parentsUsed: Array<{ generation: number; key: string }> = [];
  let generation = 0;
  const w = (b: Bits) => b.reduce((s, v, i) => s + v * ((i * 7) % 11), 0);
  const r = evolve<Bits>({
    ...SPOS_SEARCH,
    ops: bitOps(n, {
      mutate: (p) => parentsUsed.push({ generation, key: p.join('') }),
      crossover: (a, b) => parentsUsed.push({ generation, key: a.join('') }, { generation, key: b.join('') }),
    }),
    feasible: (b) => ones(b) <= 20,
    rng: 11,
    fitness: (gs) => {
      generation++;
      return gs.map((g) => {
        fitness.set(g.join(''), w(g));
        return w(g);
      });
    },
  });
  assert.equal(r.history.length, 20);
  assert.deepEqual(r.history[1]!.made, { seed: 0, random: 0, mutation: 25, crossover: 25 });
  for (const h of r.history.slice(1)) {
    assert.ok(h.made.mutation <= 25 && h.made.crossover <= 25, JSON.stringify(h.made));
    // As the top 10 converge, crossovers of them are all seen: random genomes fill the generation.
    assert.equal(h.made.mutation + h.made.crossover + h.made.random, 50, JSON.stringify(h.made));
  }
  assert.ok(r.history.some((h) => h.made.random > 0));
  // Each parent is among the 10 best of the generations before its child's.
  for (const { generation: g, key } of parentsUsed) {
    const before = r.evaluated.filter((e) => e.generation < g).sort((a, b) => b.fitness - a.fitness);
    assert.ok(
      before.slice(0, 10).some((e) => e.key === key),
      `generation ${g}: parent ${key} not in the top 10`,
    );
  }
  assert.ok(parentsUsed.length > 0);
  // FBNetV3's preset is a valid setting too (adaptive rates, patience).
  const f = evolve<Bits>({
    ...FBNETV3_SEARCH,
    ops: bitOps(n),
    feasible: (b) => ones(b) <= 20,
    rng: 1,
    fitness: (gs) => gs.map(w),
  });
  assert.equal(f.stopped, 'patience');
});

test('SPOS settings fill a generation with random genomes when children run out', () => {
  // 4 bits, all feasible: 16 genomes; by generation 1 most children are seen.
  const r = evolve<Bits>({
    ...SPOS_SEARCH,
    population: 6,
    parents: 2,
    mutants: 2,
    crossovers: 2,
    ops: bitOps(4),
    rng: 5,
    maxTries: 3,
    fitness: (gs) => gs.map(weight),
  });
  const made = r.history.slice(1).map((h) => h.made.mutation + h.made.crossover + h.made.random + h.missed);
  assert.ok(
    made.every((m) => m >= 4),
    `every generation tried its 4 children: ${made}`,
  );
  assert.ok(
    r.history.some((h) => h.made.random > 0),
    'random fill happened',
  );
});

test('makeChild: unseen required or preferred, feasibility, bounded tries, parents kept or redrawn', () => {
  const ops = bitOps(4);
  const parent: Parent<Bits> = { genome: [0, 0, 0, 0], fitness: 1 };
  const base = {
    ops,
    kind: 'mutation' as const,
    select: () => parent,
    mutationRate: () => 0.5,
    maxTries: 20,
    newParentsEachTry: false,
  };
  // Every genome but the parent's own key is seen, and every child with two or more ones is infeasible.
  const isSeen = (k: string) => k !== '0000';
  const fewOnes = (b: Bits) => ones(b) <= 1;
  assert.equal(makeChild(new Rng(1), { ...base, feasible: fewOnes, isSeen, unseen: 'require' })?.key, '0000');
  const never = makeChild(new Rng(1), { ...base, feasible: (b) => ones(b) === 1, isSeen, unseen: 'require' });
  assert.equal(never, null, 'all feasible children seen: none');
  const preferred = makeChild(new Rng(1), {
    ...base,
    feasible: (b) => ones(b) === 1,
    isSeen,
    unseen: { preferFor: 5 },
  });
  assert.ok(
    preferred && ones(preferred.genome) === 1 && preferred.tries <= 5,
    'after 5 tries a seen feasible child is taken',
  );
  assert.equal(
    makeChild(new Rng(1), { ...base, feasible: () => false, unseen: { preferFor: 5 } }),
    null,
    'nothing feasible: none',
  );

  // Parents: drawn once (kept across tries) or per try.
  let draws = 0;
  const counting = { ...base, select: () => (draws++, parent), feasible: () => false, unseen: 'require' as const };
  makeChild(new Rng(1), counting);
  assert.equal(draws, 1);
  draws = 0;
  makeChild(new Rng(1), { ...counting, newParentsEachTry: true });
  assert.equal(draws, 20);
  // A crossover puts the fitter parent first.
  const a: Parent<Bits> = { genome: [1, 1, 0, 0], fitness: 1 };
  const b: Parent<Bits> = { genome: [0, 0, 1, 1], fitness: 2 };
  let k = 0;
  const cross = makeChild(new Rng(3), {
    ...base,
    kind: 'crossover',
    select: () => (k++ % 2 ? b : a),
    crossoverRate: () => 0,
    unseen: 'require',
    isSeen: () => false,
  });
  assert.deepEqual(cross?.parents, [b, a]);
  assert.deepEqual(cross?.genome, b.genome, 'rate 0: every gene from the fitter parent');
});

test('tournament: the fittest of `size` draws with replacement, the first drawn among equals', () => {
  const pool = [
    { id: 'a', fitness: 1 },
    { id: 'b', fitness: 3 },
    { id: 'c', fitness: 3 },
    { id: 'd', fitness: 0 },
  ];
  const rng = new Rng(4);
  const replay = new Rng(4);
  for (let i = 0; i < 50; i++) {
    const picks = Array.from({ length: 3 }, () => pool[replay.int(pool.length)]!);
    const expected = picks.reduce((best, m) => (m.fitness > best.fitness ? m : best));
    assert.equal(tournament(pool, 3, rng), expected);
  }
  assert.throws(() => tournament([], 2, rng), /empty/);
});

test('architectures as genomes: evolve within a FLOPs bound, crossover rates 0 and 1 copy a parent', () => {
  const space = loadSpace('fbnet-s');
  const model = makeCostModel(space);
  const bound = parseConstraint('flops<=4M');
  const ops = archGenome(space);
  const r = evolve({
    ops,
    feasible: withinConstraints(model, [bound]),
    rng: 2,
    population: 20,
    parents: 5,
    mutants: 10,
    crossovers: 10,
    mutationRate: 0.2,
    generations: 8,
    fitness: (archs) => archs.map((a) => model.costs(a).flops ?? 0),
  });
  for (const e of r.evaluated) assert.ok(model.costs(e.genome).flops! <= bound.max, e.key);
  assert.ok(r.best.fitness > r.history[0]!.generationBest, 'the generations improved on the random first one');
  const [a, b] = [sampleUniform(space, 1), sampleUniform(space, 2)];
  assert.equal(ops.key(ops.crossover(a, b, new Rng(1), 0)), ops.key(a));
  assert.equal(ops.key(ops.crossover(a, b, new Rng(1), 1)), ops.key(b));
});
