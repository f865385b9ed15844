// Leak checking for engine tests: the number of live native tensors must be the same after a
// test as before it. Wrap every test body: test('name', noLeaks(() => { ... })).
import assert from 'node:assert/strict';
import { memory } from '../../src/engine/memory';

export function liveTensors(): number {
  return memory().liveTensors;
}

/**
 * Wraps a test body (sync or async, with or without node:test's context argument) so that it
 * fails when it leaves native tensors alive (or frees tensors it did not make). The check runs
 * only when the body succeeds, so its own failure is not masked.
 */
export function noLeaks<C = unknown>(fn: (t: C) => unknown): (t: C) => Promise<void> {
  return async (t: C) => {
    const before = memory();
    await fn(t);
    const after = memory();
    assert.equal(
      after.liveTensors,
      before.liveTensors,
      `tensor leak: ${after.liveTensors - before.liveTensors} live tensor(s) more after the test than before ` +
        `(${before.liveTensors} -> ${after.liveTensors}; live bytes ${before.liveBytes} -> ${after.liveBytes})`,
    );
  };
}
