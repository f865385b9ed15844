// Validation at chance while training accuracy climbs (BatchNorm's running statistics lag the
// weights after few steps) is said where it happens, with what to change; other runs get no note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chanceValidationNote } from '../../src/train/chanceNote';
import type { EpochMetrics } from '../../src/train/trainer';

const epoch = (trainAcc: number, valAcc: number): EpochMetrics => ({
  epoch: 1,
  loss: 1,
  trainAcc,
  valAcc,
  valLoss: 2,
  lr: 0.05,
  seconds: 1,
  imgPerSec: 100,
});

test('a note when validation is at chance and training accuracy well above it, none otherwise', () => {
  const note = chanceValidationNote([epoch(0.3, 0.1), epoch(0.54, 0.1)], 10, 10);
  assert.ok(note);
  for (const part of [
    'validation accuracy 10.00% is chance level (10 classes)',
    'training accuracy reached 54.00%',
    'after 10 optimizer steps',
    'BatchNorm',
    'more `epochs` or `limitTrain`',
  ])
    assert.ok(note.includes(part), `${note} lacks '${part}'`);
  assert.equal(chanceValidationNote([epoch(0.88, 0.95)], 10, 68), null, 'a run that validates well');
  assert.equal(chanceValidationNote([epoch(0.11, 0.1)], 10, 2), null, 'nothing learned yet: nothing to explain');
  assert.equal(chanceValidationNote([epoch(0.6, NaN)], 10, 2), null, 'no validation split');
  assert.equal(chanceValidationNote([], 10, 0), null);
});
