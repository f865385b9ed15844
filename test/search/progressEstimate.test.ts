// The time left of a study: the trials still to complete (and the failures expected on the way)
// at the median trial time, `workers` at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateProgress } from '../../src/search/progressEstimate';

test('estimateProgress: remaining trials at the median time, split over workers, failures expected at their rate', () => {
  const base = { complete: 4, failed: 0, target: 10, durationsMs: [1000, 2000, 9000, 3000], elapsedMs: 15_000 };
  const one = estimateProgress(base);
  assert.equal(one.etaMs, 6 * 2500, '6 left at the median 2.5 s (not the mean, which the 9 s outlier pulls up)');
  assert.deepEqual(
    { complete: one.complete, failed: one.failed, target: one.target, elapsedMs: one.elapsedMs },
    { complete: 4, failed: 0, target: 10, elapsedMs: 15_000 },
  );
  assert.equal(estimateProgress({ ...base, workers: 3 }).etaMs, 2 * 2500, 'three at a time: two rounds');
  assert.equal(
    estimateProgress({ ...base, workers: 4 }).etaMs,
    2 * 2500,
    'a last partial round still takes a trial time',
  );
  // One failure per two complete trials: 6 more complete trials take 9 attempts.
  assert.equal(estimateProgress({ ...base, failed: 2 }).etaMs, 9 * 2500);
  assert.equal(estimateProgress({ ...base, complete: 10 }).etaMs, 0, 'done');
  assert.equal(estimateProgress({ ...base, complete: 12 }).etaMs, 0, 'past the target (a resume with fewer trials)');
  assert.equal(estimateProgress({ ...base, durationsMs: [] }).etaMs, null, 'nothing timed yet: unknown');
  assert.equal(
    estimateProgress({ ...base, complete: 0, failed: 1, durationsMs: [400] }).etaMs,
    10 * 400,
    'no complete trial yet: one attempt each',
  );
});
