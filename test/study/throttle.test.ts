import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throttle } from '../../src/study/throttle';

test('throttle: a heartbeat called at every step writes once per interval', () => {
  let beats = 0;
  const slow = throttle(() => beats++, 60_000);
  for (let i = 0; i < 100; i++) slow();
  assert.equal(beats, 1, 'the first call beats, the next 99 fall inside the interval');
  const every = throttle(() => beats++, 0);
  for (let i = 0; i < 5; i++) every();
  assert.equal(beats, 6, 'an interval of 0 lets every call through');
});
