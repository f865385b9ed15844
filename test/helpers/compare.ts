// Numeric comparison for tests: elementwise |a - e| <= atol + rtol * |e|, with a failure message
// that names the worst element (index, both values, its error and the allowed error).
import assert from 'node:assert/strict';

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** float64 defaults: rtol 1e-6, atol 1e-8. */
export const F64: Required<Tolerance> = { rtol: 1e-6, atol: 1e-8 };

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(17) : String(v);
}

/**
 * Asserts actual and expected have the same length and agree elementwise within
 * atol + rtol * |expected|. NaN only matches NaN; infinities must match exactly.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = F64.rtol,
  atol = F64.atol,
  label = 'values',
): void {
  if (actual.length !== expected.length) {
    assert.fail(`${label}: length ${actual.length}, expected ${expected.length}`);
  }
  let worst = -1;
  let worstRatio = 0;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    let ratio: number;
    if (Number.isNaN(e) || Number.isNaN(a)) ratio = Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity;
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ratio = a === e ? 0 : Infinity;
    else ratio = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (ratio > 1) bad++;
    if (ratio > worstRatio || (worst < 0 && ratio > 1)) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (bad > 0) {
    const a = Number(actual[worst]);
    const e = Number(expected[worst]);
    assert.fail(
      `${label}: ${bad} of ${expected.length} elements differ; worst at [${worst}]: ` +
        `actual ${fmt(a)}, expected ${fmt(e)}, |diff| ${fmt(Math.abs(a - e))} > ` +
        `allowed ${fmt(atol + rtol * Math.abs(e))} (rtol ${rtol}, atol ${atol})`,
    );
  }
}

/** Exact equality for integer / bool data, naming the first mismatch. */
export function assertEqualValues(actual: ArrayLike<number>, expected: ArrayLike<number>, label = 'values'): void {
  if (actual.length !== expected.length) {
    assert.fail(`${label}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    if (Number(actual[i]) !== Number(expected[i])) {
      assert.fail(`${label}: first mismatch at [${i}]: actual ${actual[i]}, expected ${expected[i]}`);
    }
  }
}
