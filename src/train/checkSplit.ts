// The split a run trains and validates on, checked before any training: a training subset
// (`train.limitTrain`) so small that no image of it is left for training, or none for validation while
// the recipe asks for a validation split, would train nothing or report NaN accuracy. Searches
// select on validation accuracy, so for them a validation split is required.
import type { DataSource } from '../data/imageSet';
import { stratifiedSplit } from '../data/split';
import { splitSeedOf, type Recipe } from './recipe';

export interface SplitCheck {
  /** Validation accuracy is what the caller selects on (a search): valFraction 0 is refused too. */
  needValidation?: boolean;
  /** How the caller names the subset and recipe (default `train.limitTrain` and the recipe's valFraction). */
  limitFlag?: string;
}

/** The stratified split of a run, or an error saying what is too small and how large it must be. */
export function checkTrainingSplit(
  data: DataSource,
  recipe: Recipe,
  limitTrain: number | undefined,
  o: SplitCheck = {},
): { train: number; val: number } {
  const set = data.train;
  const flag = o.limitFlag ?? '`train.limitTrain`';
  const subset = limitTrain !== undefined && limitTrain < set.count ? `${flag} ${limitTrain}` : null;
  const vf = recipe.valFraction;
  if (o.needValidation && vf === 0) {
    throw new Error(
      `the recipe's valFraction is 0: no validation split, so no validation accuracy to select architectures on; set valFraction > 0 (e.g. 0.1) in the recipe`,
    );
  }
  const split = stratifiedSplit(set, vf, splitSeedOf(recipe), limitTrain);
  // Of a class's n images in the subset, round(n * valFraction) go to validation, the rest to training:
  // the smallest n that leaves both sides at least one, times the classes (for balanced classes).
  let perClass = 1;
  while (perClass < 1e4 && ((vf > 0 && Math.round(perClass * vf) < 1) || perClass - Math.round(perClass * vf) < 1))
    perClass++;
  const least = set.classes * perClass;
  if (split.train.length === 0 || (vf > 0 && split.val.length === 0)) {
    const what = split.train.length === 0 ? 'no training images' : 'no validation images';
    throw new Error(
      `${subset ?? `the ${set.count} images of ${data.spec}`} with the recipe's valFraction ${vf} leaves ${what} ` +
        `(${split.train.length} for training, ${split.val.length} for validation, over ${set.classes} classes)` +
        (split.train.length && split.val.length === 0 ? ': validation accuracy would be NaN' : '') +
        `; ${subset ? `give ${flag} ${least} or more (${perClass} images per class)` : 'use a larger data set'}` +
        (vf > 0 && vf < 0.5 && split.val.length === 0 ? `, or a larger valFraction in the recipe` : ''),
    );
  }
  return { train: split.train.length, val: split.val.length };
}
