// Reading space files: YAML or JSON -> zod validation -> resolved Space. Every error names the
// file, the field path and the problem.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { formatIssues, spaceFileSchema } from './schema';
import { resolveSpace, SpaceError } from './resolve';
import { decode } from './decode';
import { defaultArch, parseArch } from './archFormat';
import type { Space } from './types';

export class SpaceFileError extends Error {
  constructor(readonly file: string, readonly details: string) {
    super(`invalid space file ${file}:\n${details}`);
    this.name = 'SpaceFileError';
  }
}

/** Validates already-parsed data (an object from YAML or JSON) as a space. */
export function spaceFromData(data: unknown, origin = '<data>'): Space {
  const r = spaceFileSchema.safeParse(data);
  if (!r.success) throw new SpaceFileError(origin, formatIssues(r.error.issues));
  let space: Space;
  try {
    space = resolveSpace(r.data, origin === '<data>' ? undefined : origin);
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
    if (err instanceof SpaceError) throw new SpaceFileError(origin, `  ${err.path}: ${err.problem}`);
    throw new SpaceFileError(origin, `  ${(err as Error).message}`);
  }
  return space;
}

/** Parses space text; YAML unless the name ends in .json. */
export function spaceFromText(text: string, origin = '<text>'): Space {
  let data: unknown;
  try {
    data = origin.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new SpaceFileError(origin, `  not valid ${origin.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return spaceFromData(data, origin);
}

/** Loads a space file (.yaml, .yml or .json). */
export function loadSpaceFile(file: string): Space {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read space file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return spaceFromText(text, path.relative(process.cwd(), path.resolve(file)) || file);
}
