// Which choices matter: a choice that alone decides the objective explains all of its variance,
// and choices that do not touch it explain little; the values rank best first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleUniform } from '../../src/arch/sample';
import { Rng } from '../../src/random/rng';
import { formatArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import type { ReportTrial } from '../../src/report/types';
import { choiceImportance } from '../../src/dashboard/choiceImportance';

test('a choice that decides the objective explains all of its variance; the others little', () => {
  const space = loadSpace('fbnet-s');
  const rng = new Rng(7);
  const key = space.searchDims[3]!.key;
  const values = space.searchDims[3]!.values.map(String);
  const trials: ReportTrial[] = Array.from({ length: 400 }, (_, i) => {
    const arch = sampleUniform(space, rng);
    return {
      number: i,
      state: 'complete',
      arch: formatArch(space, arch),
      source: 'random',
      metrics: { accuracy: 0.5 + 0.05 * values.indexOf(String(arch[key])) },
      epochs: [],
      startedAt: null,
      finishedAt: null,
      error: null,
    };
  });
  const list = choiceImportance('fbnet-s', trials, 'accuracy', 'maximize')!;
  assert.equal(list.length, space.searchDims.length);
  assert.equal(list[0]!.key, key);
  assert.ok(Math.abs(list[0]!.share - 1) < 1e-9, `share ${list[0]!.share}`);
  assert.equal(list[0]!.values[0]!.value, values.at(-1), 'the best value first');
  for (const c of list.slice(1)) assert.ok(c.share < 0.1, `${c.key}: ${c.share}`);
  const min = choiceImportance('fbnet-s', trials, 'accuracy', 'minimize')!;
  assert.equal(min[0]!.values[0]!.value, values[0], 'minimizing: the smallest mean first');
  assert.equal(choiceImportance('fbnet-s', trials.slice(0, 2), 'accuracy', 'maximize'), null, 'too few trials');
  assert.equal(choiceImportance('no-such-space', trials, 'accuracy', 'maximize'), null);
});
