// Means, spreads and Welch's t-test against reference values. The references were computed with
// SciPy 1.17.1 (scipy.stats.ttest_ind(a, b, equal_var=False), scipy.stats.t.cdf,
// scipy.special.betainc, scipy.special.gammaln, numpy.std(ddof=1)); the snippet is in each test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  logGamma,
  mean,
  regularizedIncompleteBeta,
  sampleStd,
  spreadOf,
  studentTCdf,
  welchTTest,
} from '../../src/stats';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('mean, sample standard deviation, spread', () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.ok(Number.isNaN(mean([])));
  // numpy.std([0.8873, 0.8851, 0.8902], ddof=1)
  close(sampleStd([0.8873, 0.8851, 0.8902]), 0.00255799400572662, 1e-12, 'std');
  assert.ok(Number.isNaN(sampleStd([0.5])), 'one value has no sample spread');
  const s = spreadOf([0.9, 0.7, 0.8]);
  assert.deepEqual([s.n, s.min, s.max], [3, 0.7, 0.9]);
  close(s.mean, 0.8, 1e-12, 'spread mean');
  close(s.std, 0.1, 1e-12, 'spread std');
});

test('log-gamma and the regularized incomplete beta function (SciPy gammaln, betainc)', () => {
  close(logGamma(0.5), 0.5723649429247, 1e-12, 'lnΓ(0.5)');
  close(logGamma(10), 12.801827480081469, 1e-12, 'lnΓ(10)');
  close(logGamma(3.7), 1.428072326665388, 1e-12, 'lnΓ(3.7)');
  close(regularizedIncompleteBeta(0.3, 2.5, 0.5), 0.018927124071945658, 1e-10, 'I_0.3(2.5, 0.5)');
  close(regularizedIncompleteBeta(0.9, 10, 3), 0.889130022255, 1e-10, 'I_0.9(10, 3)');
  close(regularizedIncompleteBeta(0.5, 0.5, 0.5), 0.5, 1e-10, 'I_0.5(0.5, 0.5)');
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  assert.ok(Number.isNaN(regularizedIncompleteBeta(1.5, 2, 3)), 'x outside [0, 1]');
});

test("Student's t CDF (SciPy stats.t.cdf), including fractional degrees of freedom and far tails", () => {
  close(studentTCdf(1.5, 3), 0.8847080673775886, 1e-10, 't.cdf(1.5, 3)');
  close(studentTCdf(-2.2, 7.5), 0.03059973295305805, 1e-10, 't.cdf(-2.2, 7.5)');
  close(studentTCdf(0.3, 100), 0.6176000598498482, 1e-10, 't.cdf(0.3, 100)');
  close(studentTCdf(-40, 2.5), 7.09781714524669e-5, 1e-9, 't.cdf(-40, 2.5)');
  assert.equal(studentTCdf(0, 4), 0.5);
  assert.ok(Number.isNaN(studentTCdf(1, 0)), 'no degrees of freedom');
});

test("Welch's t-test (SciPy stats.ttest_ind(a, b, equal_var=False))", () => {
  // Three test accuracies of a searched network against three of a reference.
  const a = [0.8873, 0.8851, 0.8902];
  const b = [0.8945, 0.8931, 0.8962];
  const w = welchTTest(a, b)!;
  close(w.t, -4.090560843199091, 1e-9, 't');
  close(w.dof, 3.297273507128952, 1e-9, 'dof');
  close(w.p, 0.02200231619270509, 1e-9, 'p');
  close(w.difference, mean(a) - mean(b), 1e-15, 'difference');
  // Larger groups of unequal spread.
  const c = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
  const d = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
  const w2 = welchTTest(c, d)!;
  close(w2.t, -2.455356398286006, 1e-9, 't');
  close(w2.dof, 24.988529290231416, 1e-9, 'dof');
  close(w2.p, 0.021378001462866992, 1e-9, 'p');
  // Groups of unequal sizes, the difference within the noise.
  const w3 = welchTTest([1, 2], [1.5, 2.5, 3.5])!;
  close(w3.t, -1.3093073414159544, 1e-9, 't');
  close(w3.dof, 2.8823529411764697, 1e-9, 'dof');
  close(w3.p, 0.28502284001427447, 1e-9, 'p');
  // The test is symmetric: swapping the groups flips t and keeps p.
  const back = welchTTest(b, a)!;
  close(back.t, -w.t, 1e-12, 'swapped t');
  close(back.p, w.p, 1e-12, 'swapped p');
});

test("Welch's t-test: no test with one value in a group; groups without spread", () => {
  assert.equal(welchTTest([0.9], [0.8, 0.85]), null, 'one seed cannot tell a difference from noise');
  assert.equal(welchTTest([0.9, 0.91], []), null);
  const same = welchTTest([0.9, 0.9], [0.9, 0.9])!;
  assert.deepEqual([same.t, same.p], [0, 1]);
  const apart = welchTTest([0.9, 0.9], [0.8, 0.8])!;
  assert.equal(apart.p, 0);
  assert.equal(apart.t, Infinity);
});
