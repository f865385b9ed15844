// A training recipe is data: a schema with defaults, read from a YAML/JSON file and/or flags.
// Field names follow the FBNetV3 recipe (spec fbnetv3.md, sections 2 and 4).
import { z } from 'zod';
import { MAX_SEED, SEED_RANGE } from '../random/seeds';
import { checkData, invalidDataFile, parseDataText, readDataText, type DataFileKind } from '../io/readDataFile';

export const OPTIMIZERS = ['sgd', 'rmsprop', 'rmsprop-tf', 'adam', 'adamw'] as const;

export const RecipeSchema = z.strictObject({
  optimizer: z.enum(OPTIMIZERS).default('sgd'),
  lr: z.number().positive().default(0.05),
  momentum: z.number().min(0).max(1).default(0.9),
  nesterov: z.boolean().default(true),
  weightDecay: z.number().min(0).default(4e-5),
  schedule: z.enum(['cosine', 'step', 'exponential', 'constant']).default('cosine'),
  /** Decay factor for 'step' (per stepEpochs) and 'exponential' (per epoch). */
  gamma: z.number().positive().max(1).default(0.963),
  stepEpochs: z.number().int().positive().default(30),
  minLr: z.number().min(0).default(0),
  warmupEpochs: z.number().min(0).default(0),
  warmupStartFactor: z.number().min(0).max(1).default(0.1),
  epochs: z.number().int().positive().default(5),
  batchSize: z.number().int().positive().default(128),
  /** EMA decay of the weights, or null for none; evaluation uses the averaged weights. */
  ema: z.number().gt(0).lt(1).nullable().default(null),
  dropout: z.number().min(0).lt(1).default(0),
  stochasticDepth: z.number().min(0).lt(1).default(0),
  mixup: z.number().min(0).default(0),
  labelSmoothing: z.number().min(0).lt(1).default(0),
  /** Maximum global gradient norm, or 0 for no clipping. */
  gradClip: z.number().min(0).default(0),
  cropPadding: z.number().int().min(0).default(2),
  /**
   * The crop augmentation: 'pad' (a random crop after zero padding by cropPadding), 'random-resized'
   * (timm's RandomResizedCrop: a region of cropScale of the area with an aspect ratio in cropRatio,
   * resized back to the input), 'none'. Absent: the data set's default ('random-resized' for
   * image folders and manifests, 'pad' for the others). Optional fields, so that recipes written
   * before them keep their identity.
   */
  crop: z.enum(['pad', 'random-resized', 'none']).optional(),
  /** Area fraction range of a random-resized crop (timm's default 0.08 to 1). */
  cropScale: z
    .tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)])
    .refine(([a, b]) => a <= b, 'the first (smallest) fraction must not exceed the second')
    .optional(),
  /** Aspect ratio range of a random-resized crop (timm's default 3/4 to 4/3). */
  cropRatio: z
    .tuple([z.number().positive(), z.number().positive()])
    .refine(([a, b]) => a <= b, 'the first (smallest) ratio must not exceed the second')
    .optional(),
  /** Horizontal flips; null means the data set's default (on for clothing and objects, off for digits). */
  flip: z.boolean().nullable().default(null),
  /** Input resolution (square); null keeps the data's. */
  resolution: z.number().int().positive().nullable().default(null),
  valFraction: z.number().min(0).lt(1).default(0.1),
  seed: z.number().int().min(0).max(MAX_SEED, `must be ${SEED_RANGE}`).default(0),
  /**
   * The seed of the validation split and the training subset, when not `seed` (a study's trials
   * share one split while each trains with its own seed: src/random/studySeeds.ts). Optional, so
   * that recipes written before it keep their identity.
   */
  splitSeed: z.number().int().min(0).max(MAX_SEED, `must be ${SEED_RANGE}`).optional(),
  /** Knowledge distillation from a teacher checkpoint: loss = weight * KD + (1 - weight) * CE. */
  distill: z
    .strictObject({
      teacher: z.string().min(1),
      weight: z.number().min(0).max(1).default(0.8),
      temperature: z.number().positive().default(1),
    })
    .nullable()
    .default(null),
});

export type Recipe = z.infer<typeof RecipeSchema>;

/** timm's RandomResizedCrop defaults. */
export const DEFAULT_CROP_SCALE: readonly [number, number] = [0.08, 1];
export const DEFAULT_CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];
export type RecipeInput = z.input<typeof RecipeSchema>;

const RECIPE_FILE: DataFileKind = {
  what: 'recipe file',
  fix: 'The fields and their defaults: RecipeSchema in src/train/recipe.ts; an example: recipes/fashion-mnist.yaml.',
};

/** Validates a recipe object; `file` names where it came from in errors. */
export function parseRecipe(input: unknown, file?: string): Recipe {
  return checkData(input ?? {}, RecipeSchema, file ?? '', file ? RECIPE_FILE : { ...RECIPE_FILE, what: 'recipe' });
}

/** The seed of the validation split and the training subset: `splitSeed`, else `seed`. */
export function splitSeedOf(r: Recipe): number {
  return r.splitSeed ?? r.seed;
}

/**
 * Whether a recipe sets its seed itself: a `seed` in the file or in the fields over it. Such a
 * seed pins a study's training seeds instead of the study's seed (docs/studies.md, "Seeds").
 */
export function recipeSetsSeed(file: string | undefined | null, fields: Record<string, unknown> = {}): boolean {
  if (fields.seed !== undefined) return true;
  if (!file) return false;
  const base: unknown = parseDataText(readDataText(file, RECIPE_FILE), file, RECIPE_FILE);
  return !!base && typeof base === 'object' && !Array.isArray(base) && (base as { seed?: unknown }).seed !== undefined;
}

/** Reads a recipe file (YAML or JSON), applies overrides (e.g. from flags) on top. */
export function loadRecipe(file: string | undefined, overrides: Partial<RecipeInput> = {}): Recipe {
  let base: unknown = {};
  if (file) {
    base = parseDataText(readDataText(file, RECIPE_FILE), file, RECIPE_FILE) ?? {};
    // Overrides merge into the file's fields, so it must be a mapping before the schema sees it.
    if (typeof base !== 'object' || Array.isArray(base))
      throw invalidDataFile(
        RECIPE_FILE,
        file,
        '  (top level): a recipe is a mapping of fields (name: value), not a list or a single value',
      );
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseRecipe({ ...(base as object), ...defined }, file);
}
