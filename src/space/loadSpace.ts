// Reading space files: YAML or JSON -> zod validation -> resolved Space. Every error names the
// file, the field path and the problem (src/io/readDataFile.ts), and points to the format.
import * as path from 'node:path';
import { checkData, invalidDataFile, parseDataText, readDataText, type DataFileKind } from '../io/readDataFile';
import { spaceFileSchema } from './schema';
import { resolveSpace, SpaceError } from './resolve';
import { decode } from './decode';
import { defaultArch, parseArch } from './archFormat';
import type { Space } from './types';

const SPACE_FILE: DataFileKind = { what: 'space file', fix: 'The format of a space file: docs/spaces.md.' };

/** Validates already-parsed data (an object from YAML or JSON) as a space. */
export function spaceFromData(data: unknown, origin = '<data>'): Space {
  const file = checkData(data, spaceFileSchema, origin, SPACE_FILE);
  let space: Space;
  try {
    space = resolveSpace(file, origin === '<data>' ? undefined : origin);
    // Surface structural problems (group divisibility, ...) now, not at the first decode.
    decode(space, defaultArch(space));
    for (const [name, s] of Object.entries(space.architectures)) {
      try {
        decode(space, parseArch(space, s));
      } catch (err) {
        throw new SpaceError(`architectures.${name}`, (err as Error).message);
      }
    }
  } catch (err) {
    if (err instanceof SpaceError) throw invalidDataFile(SPACE_FILE, origin, `  ${err.path}: ${err.problem}`);
    throw invalidDataFile(SPACE_FILE, origin, `  ${(err as Error).message}`);
  }
  return space;
}

/** Parses space text; YAML unless the name ends in .json. */
export function spaceFromText(text: string, origin = '<text>'): Space {
  return spaceFromData(parseDataText(text, origin, SPACE_FILE), origin);
}

/** Loads a space file (.yaml, .yml or .json). */
export function loadSpaceFile(file: string): Space {
  const text = readDataText(file, SPACE_FILE);
  return spaceFromText(text, path.relative(process.cwd(), path.resolve(file)) || file);
}
