// The main job's final recipe (scripts/main.sh: --final-epochs 2, no --final-limit-train, no
// recipe fields) for run seed `seed` of a study of seed `studySeed`: what the benches that retrain
// networks "as the main job's final training does" share, so they train exactly what it trains.
import { finalSplitSeed } from '../src/random/studySeeds';
import { finalRecipe } from '../src/search/finalTraining';
import { loadRecipe, parseRecipe, type Recipe, type RecipeInput } from '../src/train/recipe';

export function mainJobFinalRecipe(
  studySeed: number,
  seed: number,
  trainImages: number,
  o: { epochs?: number; distill?: RecipeInput['distill'] } = {},
): Recipe {
  const final = { epochs: o.epochs ?? 2, limitTrain: null, recipe: {}, emaDecay: null, teacher: null, references: [] };
  return parseRecipe({
    ...finalRecipe(loadRecipe(undefined, {}), final, trainImages),
    seed,
    splitSeed: finalSplitSeed(studySeed),
    ...(o.distill ? { distill: o.distill } : {}),
  });
}
