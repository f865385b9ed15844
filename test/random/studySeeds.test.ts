// One seed seeds everything: a study's seed derives the search's seed, each trial's training seed
// (by the trial's identity), the split the trials share, and each final run's seed (by run and
// network). The same study seed gives the same seeds; another gives other ones; a recipe that
// sets its seed pins the trials' and the final runs' seeds; a study made before (no
// `trainingSeeds` in its configuration) keeps its recipe's seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  finalSplitSeed,
  finalTrainingSeed,
  pinnedReplicaSeed,
  stableText,
  trialSplitSeed,
  trialTrainingSeed,
} from '../../src/random/studySeeds';
import { configureSearch, setupSearch } from '../../src/search/setupSearch';
import { finalRunSeeds } from '../../src/search/finalTraining';
import type { SearchConfig } from '../../src/search/config';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';

test('derived seeds: the same study seed gives the same seeds, another seed other ones', () => {
  assert.equal(trialTrainingSeed(7, 'a'), trialTrainingSeed(7, 'a'));
  assert.notEqual(trialTrainingSeed(7, 'a'), trialTrainingSeed(8, 'a'), 'another study seed');
  assert.notEqual(trialTrainingSeed(7, 'a'), trialTrainingSeed(7, 'b'), 'another trial');
  assert.notEqual(trialSplitSeed(7), trialSplitSeed(8));
  assert.equal(finalTrainingSeed(7, 1, 'searched #3'), finalTrainingSeed(7, 1, 'searched #3'));
  const runs = [0, 1, 2].map((k) => finalTrainingSeed(7, k, 'searched #3'));
  assert.equal(new Set(runs).size, 3, 'each run its own seed');
  assert.notEqual(finalTrainingSeed(7, 0, 'searched #3'), finalTrainingSeed(7, 0, 'base'), 'each network its own');
  assert.notEqual(finalTrainingSeed(7, 0, 'base'), finalTrainingSeed(8, 0, 'base'));
  assert.notEqual(finalSplitSeed(7), finalSplitSeed(8));
  assert.equal(pinnedReplicaSeed(5, 0), 5, "a pinned seed is the first run's");
  assert.notEqual(pinnedReplicaSeed(5, 1), 5);
  assert.notEqual(pinnedReplicaSeed(5, 1), pinnedReplicaSeed(5, 2));
  for (const s of [...runs, trialTrainingSeed(0, ''), finalSplitSeed(0)])
    assert.ok(Number.isInteger(s) && s >= 0 && s <= 0xffffffff, `${s} is a 32-bit seed`);
  assert.equal(stableText({ b: 1, a: [1, { d: 2, c: null }] }), stableText({ a: [1, { c: null, d: 2 }], b: 1 }));
  assert.notEqual(stableText({ a: 1 }), stableText({ a: 2 }));
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-seeds-'));
const spaceFile = path.join(dir, 'tiny.yaml');
fs.writeFileSync(spaceFile, TINY_SPACE_YAML);
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const configOf = (seed: number, extra: Partial<Parameters<typeof configureSearch>[0]> = {}) =>
  configureSearch({
    strategy: 'random',
    space: spaceFile,
    data: 'synthetic:0',
    seed,
    train: { epochs: 1, limitTrain: 200 },
    final: { epochs: 1, seeds: 3, references: [] },
    ...extra,
  });

test("each trial's recipe carries a training seed of the study's seed and the trial, and the study's shared split", () => {
  const a = configOf(3);
  assert.equal(a.trainingSeeds, 'study', 'a new study derives its training seeds');
  assert.equal(a.final?.seeds, 3);
  const ev = (c: SearchConfig) => setupSearch(c).evaluator;
  const space = setupSearch(a).space;
  const arch1 = Object.fromEntries(space.dims.map((d) => [d.key, d.values[0]!]));
  const arch2 = Object.fromEntries(space.dims.map((d) => [d.key, d.values.at(-1)!]));
  const r = (c: SearchConfig, arch: Record<string, unknown>) =>
    ev(c).recipeFor(arch as never, null) as { seed: number; splitSeed?: number };
  // The same seed: the same recipes.
  assert.deepEqual(r(a, arch1), r(configOf(3), arch1));
  assert.equal(r(a, arch1).seed, trialTrainingSeed(3, stableText({ arch: arch1, recipe: null })));
  // Another trial: another training seed, the same split.
  assert.notEqual(r(a, arch1).seed, r(a, arch2).seed);
  assert.equal(r(a, arch1).splitSeed, trialSplitSeed(3));
  assert.equal(r(a, arch2).splitSeed, trialSplitSeed(3));
  // A joint search's proposed recipe fields are part of the trial's identity.
  const proposed = ev(a).recipeFor(arch1 as never, { lr: 0.2 }) as { seed: number };
  assert.notEqual(proposed.seed, r(a, arch1).seed);
  // Another study seed: other seeds.
  const b = configOf(4);
  assert.notEqual(r(b, arch1).seed, r(a, arch1).seed);
  assert.notEqual(r(b, arch1).splitSeed, r(a, arch1).splitSeed);
  // A recipe that sets its seed pins it: every trial trains with it, its split follows it.
  const pinned = configOf(3, { train: { epochs: 1, limitTrain: 200, recipe: { seed: 11 } } });
  assert.equal(r(pinned, arch1).seed, 11);
  assert.equal(r(pinned, arch2).seed, 11);
  assert.equal(r(pinned, arch1).splitSeed, undefined);
  // A study made before (no `trainingSeeds`): the recipe's seed, as it recorded.
  const old = { ...a };
  delete old.trainingSeeds;
  assert.equal(r(old, arch1).seed, 0);
  assert.equal(r(old, arch1).splitSeed, undefined);
});

test('final runs: a seed of (study seed, run, network); pinned by a recipe seed; a study made before keeps its first', () => {
  const a = configOf(3);
  assert.deepEqual(finalRunSeeds(a, 'searched #2', 1, 0), {
    seed: finalTrainingSeed(3, 1, 'searched #2'),
    splitSeed: finalSplitSeed(3),
  });
  assert.deepEqual(finalRunSeeds(a, 'searched #2', 1, 0), finalRunSeeds(configOf(3), 'searched #2', 1, 0));
  assert.notEqual(finalRunSeeds(configOf(4), 'searched #2', 1, 0)!.seed, finalRunSeeds(a, 'searched #2', 1, 0)!.seed);
  const pinnedFinal = configOf(3, { final: { epochs: 1, seeds: 2, recipe: { seed: 9 } } });
  assert.deepEqual(finalRunSeeds(pinnedFinal, 'x', 0, 0), { seed: 9, splitSeed: 9 });
  assert.deepEqual(finalRunSeeds(pinnedFinal, 'x', 1, 0), { seed: pinnedReplicaSeed(9, 1), splitSeed: 9 });
  const pinnedStudy = configOf(3, { train: { epochs: 1, recipe: { seed: 6 } } });
  assert.equal(finalRunSeeds(pinnedStudy, 'x', 0, 0)!.seed, 6);
  const old = { ...a };
  delete old.trainingSeeds;
  assert.equal(finalRunSeeds(old, 'x', 0, 0), null, 'its first run keeps its recipe as recorded');
  assert.deepEqual(
    finalRunSeeds(old, 'x', 1, 0),
    { seed: pinnedReplicaSeed(0, 1), splitSeed: 0 },
    "runs a resume adds derive from its recipe's seed",
  );
});
