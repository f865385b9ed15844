// The built-in spaces (files in spaces/ at the package root) and their named architectures.
// Anything that expects a space takes a built-in name or a path to a space file; anything that
// expects an architecture takes a registered name (fbnet-a), a compact string, or choice indices.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../packageRoot';
import { loadSpaceFile } from './loadSpace';
import { parseArch } from './archFormat';
import type { Arch, Space } from './types';

export const BUILTIN_SPACES = ['fbnet', 'fbnetv3', 'mobilenetv2', 'fbnet-s', 'fbnetv3-s', 'nse-s'] as const;

/** The package's spaces/ folder. */
export function spacesDir(): string {
  return path.join(packageRoot(), 'spaces');
}

const cache = new Map<string, Space>();

/** A built-in space by name, or a space file by path. */
export function loadSpace(nameOrPath: string): Space {
  const hit = cache.get(nameOrPath);
  if (hit) return hit;
  let space: Space;
  if ((BUILTIN_SPACES as readonly string[]).includes(nameOrPath)) {
    space = loadSpaceFile(path.join(spacesDir(), `${nameOrPath}.yaml`));
    cache.set(nameOrPath, space);
  } else if (fs.existsSync(nameOrPath)) {
    space = loadSpaceFile(nameOrPath);
  } else {
    throw new Error(
      `unknown space '${nameOrPath}': not a built-in space (${BUILTIN_SPACES.join(', ')}) and no such file`,
    );
  }
  return space;
}

/** Whether a space is a built-in one (not a user's file, even one named like a built-in). */
export function isBuiltinSpace(space: Space): boolean {
  return cache.get(space.name) === space;
}

export interface NamedArchitecture {
  name: string;
  space: string;
  arch: string;
}

/** Every named architecture of the built-in spaces. */
export function namedArchitectures(): NamedArchitecture[] {
  return BUILTIN_SPACES.flatMap((s) =>
    Object.entries(loadSpace(s).architectures).map(([name, arch]) => ({ name, space: s, arch })),
  );
}

/**
 * Resolves what a user wrote for an architecture. A registered name (fbnet-a) brings its own
 * space; otherwise the text is parsed in the given space. With no text, a space with a single
 * architecture yields it.
 */
export function resolveArchitecture(
  text: string | undefined,
  space?: Space | string,
): { space: Space; arch: Arch; name?: string } {
  const sp = typeof space === 'string' ? loadSpace(space) : space;
  if (text !== undefined) {
    const named =
      sp && sp.architectures[text] !== undefined
        ? { name: text, space: sp, arch: sp.architectures[text]! }
        : (() => {
            const n = namedArchitectures().find((a) => a.name === text);
            return n ? { name: n.name, space: loadSpace(n.space), arch: n.arch } : undefined;
          })();
    if (named) {
      if (sp && sp.name !== named.space.name)
        throw new Error(`architecture '${text}' belongs to space '${named.space.name}', not '${sp.name}'`);
      return { space: named.space, arch: parseArch(named.space, named.arch), name: named.name };
    }
    if (!sp)
      throw new Error(
        `unknown architecture '${text}': not a registered name (${namedArchitectures()
          .map((a) => a.name)
          .join(', ')}); give a space to parse it in`,
      );
    return { space: sp, arch: parseArch(sp, text) };
  }
  if (!sp) throw new Error('no architecture and no space given');
  if (sp.searchDims.length === 0) return { space: sp, arch: parseArch(sp, '') };
  throw new Error(
    `space '${sp.name}' has many architectures; name one (${Object.keys(sp.architectures).join(', ') || 'a compact string'})`,
  );
}
