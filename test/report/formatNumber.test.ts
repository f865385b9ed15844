// One number formatter for every report table, method section and the best box: counts as 38.9M
// (as the constraints write them), fractions as %, latencies in µs or ms, missing values as '–'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount, formatLatencyUs, formatPercent, formatPlain, formatValue, MISSING } from '../../src/report';
import { formatCost } from '../../src/cost/constraints';
import { formatMetric, metricScale } from '../../src/report/metricScale';

test('formatCount: K, M and G at three significant digits, as the constraints write costs', () => {
  assert.equal(formatCount(38_850_072), '38.9M');
  assert.equal(formatCount(120_000), '120K');
  assert.equal(formatCount(1_234_567_890), '1.23G');
  assert.equal(formatCount(812), '812');
  assert.equal(formatCount(999_999), '1.00M', 'rounds up into the next unit, never 1000K');
  assert.equal(formatCount(999.7), '1.00K');
  for (const v of [38_850_072, 120_000, 4_560_000, 86_012]) assert.equal(formatCount(v), formatCost('flops', v));
  assert.equal(formatCount(null), MISSING);
  assert.equal(formatCount(NaN), MISSING);
});

test('formatPercent, formatLatencyUs, formatPlain', () => {
  assert.equal(formatPercent(0.1), '10.00%');
  assert.equal(formatPercent(0.91234, 1), '91.2%');
  assert.equal(formatPercent(undefined), MISSING);
  assert.equal(formatLatencyUs(812.4), '812 µs');
  assert.equal(formatLatencyUs(12_345), '12.3 ms');
  assert.equal(formatLatencyUs(Infinity), MISSING);
  assert.equal(formatPlain(0.123456), '0.1235');
  assert.equal(formatPlain(0.123456, 3), '0.123');
  assert.equal(formatPlain(42), '42');
  assert.equal(formatPlain(38_850_072), '38850072', 'plain means plain: counts go through formatCount');
});

test('formatValue picks the form by the metric, and agrees with a table column of the same value', () => {
  assert.equal(formatValue('accuracy', 0.9123), '91.23%');
  assert.equal(formatValue('testAcc', 91.23), '91.23%', 'already in percent');
  assert.equal(formatValue('flops', 38_850_072), '38.9M');
  assert.equal(formatValue('params', 86_000), '86.0K');
  assert.equal(formatValue('latencyUs', 2400), '2.40 ms');
  assert.equal(formatValue('valLoss', 0.456789), '0.4568');
  assert.equal(formatValue('epochs', 3), '3');
  assert.equal(formatValue('accuracy', NaN), MISSING);
  // The column of a table: the same digits in its unit.
  assert.equal(formatMetric(metricScale('accuracy', [0.9123]), 0.9123, true), formatValue('accuracy', 0.9123));
  assert.equal(formatMetric(metricScale('epochs', [1, 3]), 3), '3', 'whole numbers stay whole in a column');
  assert.equal(metricScale('params', [86_000, 111_000]).title, 'Params (K)', 'not 0.086 M');
});
