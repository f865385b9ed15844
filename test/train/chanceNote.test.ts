// Validation at chance while training accuracy climbs (BatchNorm's running statistics lag the
// weights after few steps) is said where it happens, with what to change; other runs get no note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chanceValidationNote, isAtChance, studyChanceNote } from '../../src/train/chanceNote';
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

test('isAtChance: chance plus a small margin (a fifth of chance, at most 2 points)', () => {
  assert.ok(isAtChance(0.1, 10));
  assert.ok(isAtChance(0.095, 10), 'below chance is chance too');
  assert.ok(isAtChance(0.119, 10));
  assert.ok(!isAtChance(0.13, 10), 'a network that learned a little');
  assert.ok(isAtChance(0.515, 2));
  assert.ok(!isAtChance(0.53, 2));
  assert.ok(!isAtChance(NaN, 10));
  assert.ok(!isAtChance(0.1, 1), 'one class has no chance level');
});

test('studyChanceNote: every complete trial at chance says so with the numbers; one that learned, or no classes, silences it', () => {
  const trial = (accuracy: number, state = 'complete') => ({ state, metrics: { accuracy, flops: 1e6 } });
  const three = [trial(0.1), trial(0.1), trial(0.1), trial(0.9, 'failed')];
  const note = studyChanceNote(three, 'accuracy', 10);
  assert.ok(note);
  for (const part of [
    'All 3 complete trials sit at chance level',
    'accuracy 10.00%',
    'guessing among 10 classes gives 10.00%',
    'rank noise',
    '`train.epochs`',
  ])
    assert.ok(note.includes(part), `${note} lacks '${part}'`);
  assert.match(studyChanceNote([trial(0.098), trial(0.11)], 'accuracy', 10)!, /accuracy 9\.80% to 11\.00%/);
  assert.match(
    studyChanceNote([trial(10)], 'accuracy', 10)!,
    /The one complete trial sits at chance level: accuracy 10\.00%/,
  );
  assert.equal(studyChanceNote([trial(0.1), trial(0.4)], 'accuracy', 10), null, 'one trial learned');
  assert.equal(studyChanceNote(three, 'accuracy', null), null, 'classes unknown');
  assert.equal(studyChanceNote([trial(0.1, 'failed')], 'accuracy', 10), null, 'no complete trial');
  // An objective that is not an accuracy (a loss): the accuracy metric is read.
  assert.ok(studyChanceNote(three, 'valLoss', 10));
});
