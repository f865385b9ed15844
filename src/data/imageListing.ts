// What an image folder or a manifest lists before anything is decoded: files with class labels,
// grouped by the split they were given in (train, val, test), the class names, and how the test
// split is made when none is given (held out of the training images, stratified and seeded).
import { Rng } from '../random/rng';

/** Extensions decoded as images (case-insensitive); other files are left alone. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];
export const IMAGE_FORMATS = 'JPEG, PNG, WebP, GIF or TIFF';
/** Labels are bytes (ImageSet.labels). */
export const MAX_CLASSES = 256;

export interface ImageEntry {
  /** Absolute path. */
  file: string;
  label: number;
  /** Where it was listed, for messages: the file itself, or the manifest and its line. */
  where: string;
}

export interface ImageListing {
  /** The data set as named, e.g. 'images:photos'. */
  source: string;
  classNames: string[];
  train: ImageEntry[];
  val: ImageEntry[];
  test: ImageEntry[];
  /** Where the splits came from, for messages: e.g. 'photos/train' and 'photos/test'. */
  trainFrom: string;
  testFrom: string;
  /** Entries left out while listing (skipBadImages: a manifest line naming a missing file). */
  skipped: Array<{ file: string; reason: string }>;
  notes: string[];
}

export interface TestSplit {
  train: ImageEntry[];
  test: ImageEntry[];
  /** How the test split was made, for notes. */
  how: string;
}

/**
 * The test split: the given test images, else the given validation images (validation for
 * training is held out of the training split later, valFraction), else `fraction` of each
 * class's training images, chosen by a generator seeded with `seed`.
 */
export function resolveTestSplit(l: ImageListing, fraction: number, seed: number): TestSplit {
  if (l.test.length || l.val.length) {
    const test = l.test.length ? l.test : l.val;
    const how = l.test.length && l.val.length ? `; the val images are not used (validation is held out of train)` : '';
    checkEveryClass(l, test, l.testFrom);
    return { train: l.train, test, how: `test split from ${l.testFrom}${how}` };
  }
  if (!(fraction > 0 && fraction < 1)) {
    throw new Error(
      `${l.source}: testFraction must be between 0 and 1 (exclusive) to hold a test split out of the training images, got ${fraction}`,
    );
  }
  const byClass: ImageEntry[][] = l.classNames.map(() => []);
  for (const e of l.train) byClass[e.label]!.push(e);
  const rng = new Rng(seed);
  const train: ImageEntry[] = [];
  const test: ImageEntry[] = [];
  byClass.forEach((entries, c) => {
    if (entries.length < 2) {
      throw new Error(
        `${l.source}: class '${l.classNames[c]}' has ${entries.length} image${entries.length === 1 ? '' : 's'}; holding a test split out of ${l.trainFrom} needs at least 2 per class (add images, or give a test split)`,
      );
    }
    const order = rng.permutation(entries.length);
    const nTest = Math.min(entries.length - 1, Math.max(1, Math.round(entries.length * fraction)));
    order.forEach((i, k) => (k < nTest ? test : train).push(entries[i]!));
  });
  // Listing order within each split, so that the sets do not depend on the classes' interleaving.
  const rank = new Map(l.train.map((e, i) => [e, i]));
  const byRank = (a: ImageEntry, b: ImageEntry) => rank.get(a)! - rank.get(b)!;
  return {
    train: train.sort(byRank),
    test: test.sort(byRank),
    how: `test split held out of ${l.trainFrom}: ${fraction} of each class (testFraction), seed ${seed} (splitSeed)`,
  };
}

/** Every class of the training split must have test images too, and the test split no other class. */
function checkEveryClass(l: ImageListing, test: ImageEntry[], testFrom: string): void {
  const counts = new Array<number>(l.classNames.length).fill(0);
  for (const e of test) counts[e.label]!++;
  const missing = l.classNames.filter((_, c) => counts[c] === 0);
  if (missing.length) {
    throw new Error(
      `${l.source}: class${missing.length === 1 ? '' : 'es'} ${missing.map((c) => `'${c}'`).join(', ')} of ${l.trainFrom} ${missing.length === 1 ? 'has' : 'have'} no images in ${testFrom}: every class needs test images (add them, or remove the test split to hold one out of the training images)`,
    );
  }
  const trainCounts = new Array<number>(l.classNames.length).fill(0);
  for (const e of l.train) trainCounts[e.label]!++;
  const untrained = l.classNames.filter((_, c) => trainCounts[c] === 0);
  if (untrained.length) {
    throw new Error(
      `${l.source}: class${untrained.length === 1 ? '' : 'es'} ${untrained.map((c) => `'${c}'`).join(', ')} of ${testFrom} ${untrained.length === 1 ? 'has' : 'have'} no images in ${l.trainFrom}: a class must have training images to be learned`,
    );
  }
}

export function checkClassCount(source: string, classNames: string[], from: string): void {
  if (classNames.length < 2) {
    throw new Error(
      `${source}: ${from} holds ${classNames.length === 0 ? 'no classes' : `one class ('${classNames[0]}')`}; a classifier needs at least 2 classes`,
    );
  }
  if (classNames.length > MAX_CLASSES) {
    throw new Error(`${source}: ${from} holds ${classNames.length} classes; tsnas handles at most ${MAX_CLASSES}`);
  }
}

export function isImageFile(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}
