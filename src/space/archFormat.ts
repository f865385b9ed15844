// Architecture strings. The compact form writes the searched dimensions of a space in order:
// groups (stem, stage1.., head, recipe) separated by '/', tokens inside a group by '-', each
// token the dimension's code followed by its value; fixed dimensions are left out. E.g. FBNet-A:
//   skip/ir_k3_e3-ir_k3_e1-skip-skip/.../ir_k5_e6/head1504
// and an FBNetV3 architecture with recipe:
//   r224-stem16/k3-c16-n2/k5-f4-e3-c24-n5-.../head1984... /optimizer=sgd-lr=0.025-...
// Spaces whose searched dimensions all pick from lists also accept the choice indices,
// '-'-separated ("0-3-8-..."). format(parse(s)) === s for every canonical s, and
// parse(format(a)) deep-equals a.
import { ACT_SUFFIX, type ActName } from '../blocks/opName';
import { checkArch } from './decode';
import { branchValueProblem, isBranchSet } from './branchValue';
import { formatNumber } from './resolve';
import type { Arch, Dim, Space, Value } from './types';

function formatValue(d: Dim, v: Value): string {
  if (d.format === 'act') return ACT_SUFFIX[v as ActName] || 're';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  return v;
}

/** The canonical compact string of an architecture. */
export function formatArch(space: Space, arch: Arch): string {
  checkArch(space, arch);
  const groups: string[][] = [];
  let last = '';
  for (const d of space.searchDims) {
    if (d.group !== last || !groups.length) groups.push([]);
    last = d.group;
    groups[groups.length - 1]!.push(d.code + formatValue(d, arch[d.key]!));
  }
  return groups.map((g) => g.join('-')).join('/');
}

/**
 * True when every searched dimension picks from a list, so choice indices identify an arch; given
 * an architecture, also that none of its layers is multi-branch (indices name one value each).
 */
export function acceptsIndices(space: Space, arch?: Arch): boolean {
  if (!space.searchDims.every((d) => d.encoding === 'onehot')) return false;
  return !arch || !space.searchDims.some((d) => isBranchSet(arch[d.key]!));
}

/** Throws for an architecture with a multi-branch layer: choice indices name one value per dimension. */
function checkSingleValues(space: Space, arch: Arch): void {
  for (const d of space.searchDims)
    if (isBranchSet(arch[d.key]!))
      throw new Error(
        `'${d.key}' = '${String(arch[d.key])}' is a multi-branch layer: choice indices cannot write it; use the compact string`,
      );
}

/** The per-dimension choice indices ("0-3-8-..."), searched dimensions only. */
export function formatIndices(space: Space, arch: Arch): string {
  checkArch(space, arch);
  checkSingleValues(space, arch);
  return space.searchDims.map((d) => d.values.indexOf(arch[d.key]!)).join('-');
}

/** The architecture whose searched dimensions take the given value indices. */
export function archFromIndices(space: Space, idx: readonly number[]): Arch {
  const arch: Arch = {};
  let j = 0;
  for (const d of space.dims) {
    if (d.values.length === 1) {
      arch[d.key] = d.values[0]!;
      continue;
    }
    const i = idx[j++]!;
    if (!Number.isInteger(i) || i < 0 || i >= d.values.length) {
      throw new Error(`choice index ${i} for '${d.key}' is out of range 0..${d.values.length - 1}`);
    }
    arch[d.key] = d.values[i]!;
  }
  return arch;
}

/** Value indices of the searched dimensions (the inverse of archFromIndices). */
export function archIndices(space: Space, arch: Arch): number[] {
  checkSingleValues(space, arch);
  return space.searchDims.map((d) => d.values.indexOf(arch[d.key]!));
}

/** Every dimension at its first value. */
export function defaultArch(space: Space): Arch {
  return archFromIndices(
    space,
    space.searchDims.map(() => 0),
  );
}

function expectedShape(space: Space): string {
  const groups: string[] = [];
  let last = '';
  for (const d of space.searchDims) {
    const t = `${d.code}<${d.key}>`;
    if (d.group !== last || !groups.length) groups.push(t);
    else groups[groups.length - 1] += `-${t}`;
    last = d.group;
  }
  return groups.join('/');
}

/**
 * Parses a compact architecture string of a space, or (where the space allows it) a string of
 * choice indices. Errors say which token is wrong and what was expected.
 */
export function parseArch(space: Space, text: string): Arch {
  const s = text.trim();
  const n = space.searchDims.length;
  if (n === 0) {
    if (s === '') return defaultArch(space);
    throw new Error(`space '${space.name}' has a single architecture; its string is empty, got '${text}'`);
  }
  if (/^[0-9]+(-[0-9]+)*$/.test(s)) {
    if (!acceptsIndices(space))
      throw new Error(
        `space '${space.name}' searches ranges; write the architecture as ${expectedShape(space)}, not as choice indices`,
      );
    const idx = s.split('-').map(Number);
    if (idx.length !== n)
      throw new Error(`space '${space.name}' has ${n} searched choices; the index string '${s}' has ${idx.length}`);
    return archFromIndices(space, idx);
  }
  const groupsIn = s.split('/');
  const tokens = groupsIn.map((g) => g.split('-'));
  const groupSizes: number[] = [];
  let last = '';
  for (const d of space.searchDims) {
    if (d.group !== last || !groupSizes.length) groupSizes.push(0);
    groupSizes[groupSizes.length - 1]!++;
    last = d.group;
  }
  const shapeOk = tokens.length === groupSizes.length && tokens.every((t, i) => t.length === groupSizes[i]);
  if (!shapeOk) {
    throw new Error(
      `architecture '${text}' does not fit space '${space.name}': expected ${groupSizes.length} '/'-separated groups ` +
        `of ${groupSizes.join(', ')} '-'-separated tokens: ${expectedShape(space)}` +
        (acceptsIndices(space) ? `, or ${n} choice indices` : ''),
    );
  }
  const flat = tokens.flat();
  const arch: Arch = {};
  let j = 0;
  for (const d of space.dims) {
    if (d.values.length === 1) {
      arch[d.key] = d.values[0]!;
      continue;
    }
    const tok = flat[j++]!;
    let v = d.code && !tok.startsWith(d.code) ? undefined : d.values.find((x) => d.code + formatValue(d, x) === tok);
    // A multi-branch layer's token is its value ('+'-joined candidates; op dimensions have no code).
    if (v === undefined && d.branches && !d.code && isBranchSet(tok)) {
      const problem = branchValueProblem(d, tok);
      if (problem !== null) throw new Error(`architecture '${text}': token ${j} ${problem}`);
      v = tok;
    }
    if (v === undefined) {
      const allowed = d.values.map((x) => d.code + formatValue(d, x));
      throw new Error(
        `architecture '${text}': token ${j} '${tok}' is not a value of '${d.key}' (allowed: ${allowed.join(', ')})`,
      );
    }
    arch[d.key] = v;
  }
  return arch;
}

/** The JSON form: the space's name and every dimension's value. */
export interface ArchJSON {
  space: string;
  values: Arch;
}
export function archToJSON(space: Space, arch: Arch): ArchJSON {
  checkArch(space, arch);
  const values: Arch = {};
  for (const d of space.dims) values[d.key] = arch[d.key]!;
  return { space: space.name, values };
}
export function archFromJSON(space: Space, json: unknown): Arch {
  const j = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<ArchJSON>;
  if (!j || typeof j !== 'object' || typeof j.values !== 'object' || j.values === null) {
    throw new Error('an architecture in JSON is {"space": name, "values": {dimension: value, ...}}');
  }
  if (j.space !== undefined && j.space !== space.name)
    throw new Error(`architecture is for space '${j.space}', not '${space.name}'`);
  const arch: Arch = {};
  for (const d of space.dims) if (d.key in j.values) arch[d.key] = j.values[d.key]!;
  for (const k of Object.keys(j.values)) if (!(k in arch)) arch[k] = j.values[k]!;
  checkArch(space, arch);
  return arch;
}

/**
 * A named architecture of the space (e.g. fbnet-s-baseline) or an architecture string; the error
 * says which setting gave it (`what`, e.g. "`options.fixed`") and lists the space's named architectures.
 */
export function parseNamedArch(space: Space, text: string, what: string): Arch {
  try {
    return parseArch(space, space.architectures[text] ?? text);
  } catch (err) {
    const names = Object.keys(space.architectures);
    throw new Error(
      `${what} '${text}' is not an architecture of space '${space.name}': ${(err as Error).message}` +
        (names.length ? ` (named architectures: ${names.join(', ')})` : ''),
      { cause: err },
    );
  }
}
