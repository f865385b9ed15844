// FBNetV3-style spaces search recipe fields inside the architecture ('recipe.lr', ...). This maps
// them onto a Recipe, following the spec (fbnetv3.md section 2): with SGD the learning rate is
// multiplied by 4; RMSProp is the TensorFlow-style variant of the EfficientNet/FBNetV3 recipes.
import type { Arch } from '../space/types';
import type { RecipeInput } from './recipe';

/**
 * Decay used when a searched recipe switches EMA on (the value EfficientNet/timm use), unless the
 * space fixes or searches `recipe.emaDecay` (short runs need a shorter average).
 */
export const SEARCHED_EMA_DECAY = 0.9998;

export function recipeOverridesFromArch(arch: Arch): Partial<RecipeInput> {
  const out: Partial<RecipeInput> = {};
  const get = (k: string) => arch[`recipe.${k}`];
  const opt = get('optimizer');
  if (opt !== undefined) {
    if (opt !== 'sgd' && opt !== 'rmsprop')
      throw new Error(`architecture's recipe.optimizer '${String(opt)}' is not sgd or rmsprop`);
    out.optimizer = opt === 'sgd' ? 'sgd' : 'rmsprop-tf';
  }
  const lr = get('lr');
  if (typeof lr === 'number') out.lr = opt === 'sgd' ? lr * 4 : lr;
  const wd = get('weightDecay');
  if (typeof wd === 'number') out.weightDecay = wd;
  const ema = get('ema');
  const emaDecay = get('emaDecay');
  if (emaDecay !== undefined && !(typeof emaDecay === 'number' && emaDecay > 0 && emaDecay < 1))
    throw new Error(`architecture's recipe.emaDecay ${String(emaDecay)} is not a number in (0, 1)`);
  if (typeof ema === 'boolean') out.ema = ema ? ((emaDecay as number | undefined) ?? SEARCHED_EMA_DECAY) : null;
  const dropout = get('dropout');
  if (typeof dropout === 'number') out.dropout = dropout;
  const dropPath = get('dropPath');
  if (typeof dropPath === 'number') out.stochasticDepth = dropPath;
  const mixup = get('mixup');
  if (typeof mixup === 'number') out.mixup = mixup;
  return out;
}
