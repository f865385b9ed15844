// The learned distributions' normalized entropy (the epoch line's `entropy`, and what the note on a
// collapsing short search reads): 1 for uniform layers, 0 for one-hot ones, fixed layers ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedEntropy } from '../../src/search/fbnet';

test('normalized entropy: uniform 1, one-hot 0, the mean over searchable layers', () => {
  assert.equal(normalizedEntropy([[1], [1 / 3, 1 / 3, 1 / 3], [0.25, 0.25, 0.25, 0.25]]), 1);
  assert.equal(normalizedEntropy([[1], [0, 1, 0]]), 0);
  const half = normalizedEntropy([
    [0.5, 0.5],
    [1, 0],
  ]);
  assert.ok(Math.abs(half - 0.5) < 1e-12, String(half));
  const peaked = normalizedEntropy([[0.9, 0.05, 0.05]]);
  assert.ok(peaked > 0 && peaked < 0.5, String(peaked));
  assert.equal(normalizedEntropy([[1]]), 0);
});
