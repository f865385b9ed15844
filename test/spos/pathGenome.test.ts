// The evolution's genome over paths of a (shrunk) space: random paths, mutants and crossovers stay
// within the active ops; a mutation rate of 0 copies the parent, 1 resamples every layer; a
// crossover takes each layer from one of its parents; the key is the indices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/random/rng';
import { defaultDropPerRound, pathGenome } from '../../src/search/spos/runOneShotSearch';

const active = [[0, 2], [1], [0, 1, 2], [3, 4]];
const within = (p: number[]) => p.every((i, l) => active[l]!.includes(i));

test('path genome: every operation stays within the active ops', () => {
  const g = pathGenome(active);
  const rng = new Rng(1);
  const a = g.random(rng);
  const b = g.random(rng);
  assert.ok(within(a) && within(b));
  assert.deepEqual(g.mutate(a, rng, 0), a);
  for (let k = 0; k < 200; k++) {
    const m = g.mutate(a, rng, 1);
    assert.ok(within(m), m.join('-'));
    const c = g.crossover(a, b, rng, 0.5);
    assert.ok(within(c));
    c.forEach((i, l) => assert.ok(i === a[l] || i === b[l]));
  }
  // With rate 1 every layer with a choice is resampled: across draws every active op shows up.
  const seen = active.map(() => new Set<number>());
  for (let k = 0; k < 200; k++) g.mutate(a, rng, 1).forEach((i, l) => seen[l]!.add(i));
  assert.deepEqual(
    seen.map((s) => [...s].sort()),
    active,
  );
  assert.equal(g.key([0, 1, 2, 3]), '0-1-2-3');
  assert.equal(defaultDropPerRound(active), 4);
});
