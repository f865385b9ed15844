// A training subset too small to train or validate on is refused before any training, saying how
// large it must be: train printed "NaN%" and a search failed ten trials blaming valFraction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSynthetic } from '../../src/data/synthetic';
import { checkTrainingSplit } from '../../src/train/checkSplit';
import { parseRecipe } from '../../src/train/recipe';
import { createTrainingEvaluator } from '../../src/evaluate/training';
import { loadSpace } from '../../src/space/registry';
import { throwsWith } from '../data/fixtures';

const data = loadSynthetic({ seed: 0 }, 'synthetic');

test('checkTrainingSplit: no validation images (or no training images) is an error naming the field and the size needed', () => {
  const recipe = parseRecipe({});
  throwsWith(
    () => checkTrainingSplit(data, recipe, 5),
    [
      "`train.limitTrain` 5 with the recipe's valFraction 0.1 leaves no validation images",
      '0 for validation',
      'validation accuracy would be NaN',
      'give `train.limitTrain` 50 or more (5 images per class)',
    ],
  );
  assert.deepEqual(checkTrainingSplit(data, recipe, 50), { train: 40, val: 10 }, 'the size it names is enough');
  throwsWith(
    () => checkTrainingSplit(data, parseRecipe({ valFraction: 0.5 }), 10),
    ['give `train.limitTrain` 20 or more'],
  );
  // No validation split asked for: fine for training alone, not for a search that selects on it.
  assert.equal(checkTrainingSplit(data, parseRecipe({ valFraction: 0 }), 5).val, 0);
  throwsWith(
    () => checkTrainingSplit(data, parseRecipe({ valFraction: 0 }), undefined, { needValidation: true }),
    ["the recipe's valFraction is 0", 'set valFraction > 0'],
  );
});

test('the training evaluator checks the split when it is made, before the first trial', () => {
  throwsWith(
    () =>
      createTrainingEvaluator({ space: loadSpace('fbnet-s'), spaceRef: 'fbnet-s', data: 'synthetic', limitTrain: 5 }),
    ['`train.limitTrain` 5', 'no validation images', 'give `train.limitTrain` 50 or more'],
  );
});
