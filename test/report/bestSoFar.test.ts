import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestSoFar, type ReportTrial } from '../../src/report';

function trial(
  number: number,
  accuracy: number | undefined,
  state: ReportTrial['state'] = 'complete',
  finishedAt: number | null = 1000 + number,
): ReportTrial {
  return {
    number,
    state,
    arch: `a${number}`,
    source: 'random',
    metrics: accuracy === undefined ? {} : { accuracy },
    epochs: [],
    startedAt: 0,
    finishedAt,
    error: null,
  };
}

test('bestSoFar: maximize, in trial order, skipping failed, missing and NaN values', () => {
  const trials = [
    trial(3, 0.7),
    trial(0, 0.5),
    trial(1, 0.4),
    trial(2, 0.9, 'failed'),
    trial(4, NaN),
    trial(5, undefined),
    trial(6, 0.7),
    trial(7, 0.8),
  ];
  const c = bestSoFar(trials, 'accuracy', 'maximize');
  assert.deepEqual(
    c.map((p) => p.number),
    [0, 1, 3, 6, 7],
  );
  assert.deepEqual(
    c.map((p) => p.best),
    [0.5, 0.5, 0.7, 0.7, 0.8],
  );
  assert.deepEqual(
    c.map((p) => p.bestNumber),
    [0, 0, 3, 3, 7],
  );
  assert.deepEqual(
    c.map((p) => p.improved),
    [true, false, true, false, true],
    'a tie (#6) is not an improvement',
  );
});

test('bestSoFar: minimize, and ordered by finish time', () => {
  const trials = [
    trial(0, 5, 'complete', 300),
    trial(1, 3, 'complete', 100),
    trial(2, 4, 'complete', 200),
    trial(3, 1, 'complete', null),
  ];
  assert.deepEqual(
    bestSoFar(trials, 'accuracy', 'minimize').map((p) => p.best),
    [5, 3, 3, 1],
  );
  const byTime = bestSoFar(trials, 'accuracy', 'minimize', 'finishedAt');
  assert.deepEqual(
    byTime.map((p) => p.number),
    [1, 2, 0],
    'no finish time: left out',
  );
  assert.deepEqual(
    byTime.map((p) => p.best),
    [3, 3, 3],
  );
  assert.deepEqual(bestSoFar([], 'accuracy', 'maximize'), []);
});
