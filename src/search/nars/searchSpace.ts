// What a NARS study searches: the study space's dimensions, all of them (joint), only the
// architecture's (arch: the recipe fields held fixed) or only the recipe's (recipe: the
// architecture held fixed, the paper's section 4.1). The searched part is a space of its own
// (`searched`): the same dimensions, those held fixed reduced to their one value, so sampling,
// Sobol points, mutation and crossover (src/arch) vary only what is searched, and every
// architecture it yields is a complete architecture of the study space. Strings, features and
// costs always use the study space.
import { archFromIndices, parseNamedArch } from '../../space/archFormat';
import type { Arch, Dim, Space } from '../../space/types';
import type { NarsMode } from './options';

export interface SearchedSpace {
  mode: NarsMode;
  /** The study's space. */
  space: Space;
  /** The same dimensions, those not searched fixed at one value. */
  searched: Space;
  /** The values the dimensions not searched are held at (empty in a joint search). */
  fixed: Readonly<Record<string, Arch[string]>>;
  /** For people: what is searched and what is held. */
  description: string;
}

const isRecipe = (d: Dim) => d.group === 'recipe';

/** The space with the dimensions outside `keep` fixed at `at`'s values. */
export function restrictSpace(space: Space, at: Arch, keep: (d: Dim) => boolean): Space {
  const dims = space.dims.map((d) =>
    keep(d) || d.values.length === 1
      ? d
      : Object.freeze({ ...d, values: Object.freeze([at[d.key]!]), encoding: 'onehot' as const }),
  );
  return Object.freeze({
    ...space,
    dims: Object.freeze(dims),
    searchDims: Object.freeze(dims.filter((d) => d.values.length > 1)),
  });
}

/** Resolves `options.fixed`: a named architecture of the space or an architecture string; errors say which flag and what fits. */
export function resolveFixed(space: Space, text: string): Arch {
  return parseNamedArch(space, text, '`options.fixed`');
}

/** The searched space of a mode; throws with what to change when the mode does not fit the space. */
export function searchedSpace(space: Space, mode: NarsMode, fixedText: string | null): SearchedSpace {
  const recipeDims = space.searchDims.filter(isRecipe);
  const archDims = space.searchDims.filter((d) => !isRecipe(d));
  if (mode === 'joint') {
    if (fixedText !== null)
      throw new Error(
        '`options.fixed` holds what a search does not search; a joint search searches everything: give `options.mode` arch or `options.mode` recipe, or drop `options.fixed`',
      );
    return {
      mode,
      space,
      searched: space,
      fixed: {},
      description: recipeDims.length
        ? `joint: ${archDims.length} architecture and ${recipeDims.length} recipe dimensions`
        : `joint: ${archDims.length} architecture dimensions (space '${space.name}' has no recipe fields: an architecture-only search)`,
    };
  }
  if (mode === 'recipe') {
    if (!recipeDims.length)
      throw new Error(
        `\`options.mode\` recipe searches the recipe fields of the space, and space '${space.name}' has none: use a space with a \`recipe:\` section ` +
          '(fbnetv3-s, fbnetv3, or your own file: docs/spaces.md), or `options.mode` arch',
      );
    if (fixedText === null)
      throw new Error(
        `\`options.mode\` recipe searches the recipe of one architecture: give it with \`options.fixed\` NAME|ARCH (an architecture of space '${space.name}'` +
          `${Object.keys(space.architectures).length ? `, e.g. ${Object.keys(space.architectures)[0]}` : ''})`,
      );
    const at = resolveFixed(space, fixedText);
    const searched = restrictSpace(space, at, isRecipe);
    return {
      mode,
      space,
      searched,
      fixed: Object.fromEntries(archDims.map((d) => [d.key, at[d.key]!])),
      description: `recipe: ${recipeDims.length} recipe dimensions of the fixed architecture ${fixedText}`,
    };
  }
  const at =
    fixedText === null
      ? archFromIndices(
          space,
          space.searchDims.map(() => 0),
        )
      : resolveFixed(space, fixedText);
  const searched = restrictSpace(space, at, (d) => !isRecipe(d));
  const held = recipeDims.map((d) => `${d.key.replace(/^recipe\./, '')}=${String(at[d.key])}`);
  return {
    mode,
    space,
    searched,
    fixed: Object.fromEntries(recipeDims.map((d) => [d.key, at[d.key]!])),
    description: `arch: ${archDims.length} architecture dimensions${held.length ? `; recipe held at ${held.join(', ')}${fixedText === null ? ' (the first values; `options.fixed` to choose)' : ''}` : ''}`,
  };
}
