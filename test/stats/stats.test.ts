// The statistics module (src/stats) against values computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  correlationText,
  kendallTau,
  linearFit,
  mape,
  median,
  pearson,
  quantileSorted,
  ranks,
  spearman,
  upperMedian,
} from '../../src/stats';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('medians: interpolated and upper-middle conventions, quantiles, empty input', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5, 'the mean of the two middle values');
  assert.equal(upperMedian([3, 1, 2]), 2);
  assert.equal(upperMedian([4, 1, 3, 2]), 3, 'the upper of the two middle values');
  assert.ok(Number.isNaN(median([])) && Number.isNaN(upperMedian([])));
  close(quantileSorted([1, 2, 3, 4], 0.25), 1.75, 'p25');
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  const values = [5, 1, 4];
  median(values);
  upperMedian(values);
  assert.deepEqual(values, [5, 1, 4], 'the input is not sorted in place');
});

test('Spearman with ties, Pearson, MAPE in percent, least-squares line', () => {
  assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  close(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8, 'spearman');
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'a constant series has no correlation');
  close(mape([110, 90], [100, 100]), 10, 'mape');
  close(mape([150], [100]), 50, 'mape');
  const fit = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
  close(fit.slope, 2, 'slope');
  close(fit.intercept, 1, 'intercept');
});

test('Kendall tau-b against hand counts, with and without ties', () => {
  // No ties: of the 10 pairs, 7 concordant and 3 discordant ((1,2), (1,3), (4,5) by position).
  close(kendallTau([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]), 0.4, 'no ties');
  assert.equal(kendallTau([1, 2, 3], [1, 2, 3]), 1);
  assert.equal(kendallTau([1, 2, 3], [3, 2, 1]), -1);
  // x = [1, 2, 2, 3], y = [1, 3, 2, 2]: 6 pairs, 3 concordant, 1 discordant, 1 tied in x only,
  // 1 tied in y only: (3 - 1) / sqrt((6 - 1)(6 - 1)) = 0.4 (tau-a would say 2 / 6).
  close(kendallTau([1, 2, 2, 3], [1, 3, 2, 2]), 0.4, 'ties in x and in y');
  // x = [1, 1, 2, 2, 3], y = [1, 2, 1, 2, 3]: 10 pairs, 5 concordant, 1 discordant, 2 tied in x,
  // 2 tied in y: 4 / sqrt(8 * 8) = 0.5.
  close(kendallTau([1, 1, 2, 2, 3], [1, 2, 1, 2, 3]), 0.5, 'two tie groups each');
  // A pair tied in both is in both tie counts: x = [1, 1, 2], y = [5, 5, 6]: 2 / sqrt(2 * 2) = 1.
  assert.equal(kendallTau([1, 1, 2], [5, 5, 6]), 1);
  assert.ok(Number.isNaN(kendallTau([2, 2, 2], [1, 2, 3])), 'constant x');
  assert.throws(() => kendallTau([1, 2], [1]), /2 vs 1 values/);
});

test('a rank correlation over fewer than two points, or of tied values, is printed as undefined, not NaN', () => {
  assert.equal(correlationText(kendallTau([1], [2]), 1), 'n/a (fewer than 2 points)');
  assert.equal(correlationText(spearman([], []), 0), 'n/a (fewer than 2 points)');
  assert.equal(correlationText(kendallTau([1, 1, 1], [1, 2, 3]), 3), 'n/a (no ranking: all values tied)');
  assert.equal(correlationText(kendallTau([1, 2, 3], [1, 2, 3]), 3), '1.000');
  assert.equal(correlationText(0.12345, 9, 2), '0.12');
});
