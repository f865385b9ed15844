// From a validated space file to a Space: the list of decision dimensions, each with its
// enumerated values, in canonical order. Semantic checks that zod cannot express are here;
// each error names the field path.
import { parseOp, type OpType } from '../blocks/opName';
import type { IntSpec, LayerwiseSpaceFile, SpaceFile, StagewiseSpaceFile, ValueSpec } from './schema';
import type { Dim, Space, Value } from './types';

export class SpaceError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** A number as the compact string writes it: never in exponent notation, so never with '-'. */
export function formatNumber(v: number): string {
  const s = String(v);
  if (!/e/i.test(s)) return s;
  return v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Enumerates a (lo, hi, step) range, hi excluded, each value times scale. */
export function enumerateRange(spec: { range: readonly number[]; scale?: number | undefined }, path: string): number[] {
  const [lo, hi, step = 1] = spec.range as [number, number, number?];
  const out: number[] = [];
  for (let i = 0; lo + i * step < hi - 1e-9 * Math.abs(step); i++) {
    const v = lo + i * step;
    out.push(spec.scale === undefined ? v : Number((v * spec.scale).toPrecision(12)));
    if (out.length > 100000) throw new SpaceError(path, 'range has more than 100000 values');
  }
  if (!out.length)
    throw new SpaceError(path, `range [${spec.range.join(', ')}] is empty (hi is excluded, as in Python's range)`);
  return out;
}

function values(
  spec: ValueSpec | IntSpec,
  path: string,
  integer: boolean,
): { values: Value[]; encoding: Dim['encoding'] } {
  let vals: Value[];
  let encoding: Dim['encoding'] = 'onehot';
  if (Array.isArray(spec)) vals = [...spec];
  else if (typeof spec === 'object' && spec !== null) {
    vals = enumerateRange(spec, path);
    encoding = vals.length > 1 ? 'scalar' : 'onehot';
  } else vals = [spec];
  const seen = new Set<string>();
  for (const v of vals) {
    const k = `${typeof v}:${v}`;
    if (seen.has(k)) throw new SpaceError(path, `value ${JSON.stringify(v)} is listed twice`);
    seen.add(k);
    if (integer && (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)) {
      throw new SpaceError(path, `${JSON.stringify(v)} is not a positive integer`);
    }
    const text = typeof v === 'number' ? formatNumber(v) : String(v);
    if (/[-/\s]/.test(text))
      throw new SpaceError(
        path,
        `value ${JSON.stringify(v)} cannot appear in an architecture string (no '-', '/' or spaces)`,
      );
  }
  return { values: vals, encoding };
}

function dim(
  key: string,
  group: string,
  code: string,
  v: { values: Value[]; encoding: Dim['encoding'] },
  format: Dim['format'] = 'plain',
  branches?: number,
): Dim {
  const d: Dim = { key, group, code, values: Object.freeze(v.values), encoding: v.encoding, format };
  // Only multi-branch dimensions carry the field, so every other dimension is what it was.
  if (branches !== undefined && branches > 1) d.branches = branches;
  return Object.freeze(d);
}

function checkOp(name: string, path: string, allowed: OpType[]): void {
  let type: OpType;
  try {
    type = parseOp(name).type;
  } catch (err) {
    throw new SpaceError(path, (err as Error).message);
  }
  if (!allowed.includes(type))
    throw new SpaceError(path, `op '${name}' is a ${type}; here only ${allowed.join(' or ')} ops fit`);
}

function recipeDims(file: SpaceFile): Dim[] {
  return Object.entries(file.recipe ?? {}).map(([field, spec]) =>
    dim(`recipe.${field}`, 'recipe', `${field}=`, values(spec, `recipe.${field}`, false)),
  );
}

function layerwiseDims(f: LayerwiseSpaceFile): Dim[] {
  const dims: Dim[] = [dim('stem.channels', 'stem', 'stem', values(f.stem.channels, 'stem.channels', true))];
  let layer = 0;
  f.stages.forEach((st, i) => {
    const path = st.ops ? `stages[${i}].ops` : 'candidates';
    const ops = st.ops ?? f.candidates;
    if (!ops)
      throw new SpaceError(`stages[${i}]`, 'no ops: give the stage an `ops` list or the space a `candidates` list');
    ops.forEach((op, j) => checkOp(op, `${path}[${j}]`, ['ir', 'skip', 'conv', 'multi']));
    if (f.branches !== undefined && f.branches > 1)
      ops.forEach((op, j) => {
        if (parseOp(op).type === 'multi')
          throw new SpaceError(
            `${path}[${j}]`,
            `'${op}' is a multi-branch op; with \`branches: ${f.branches}\` the candidates are single ops and a layer's value may join up to ${f.branches} of them`,
          );
      });
    for (let r = 0; r < st.repeats; r++) {
      layer++;
      dims.push(dim(`layer${layer}`, `stage${i + 1}`, '', values(ops, path, false), 'plain', f.branches));
    }
  });
  dims.push(dim('head.channels', 'head', 'head', values(f.head.channels, 'head.channels', true)));
  return dims;
}

function stagewiseDims(f: StagewiseSpaceFile): Dim[] {
  const dims: Dim[] = [];
  if (f.resolution !== undefined) dims.push(dim('resolution', 'stem', 'r', values(f.resolution, 'resolution', true)));
  dims.push(dim('stem.channels', 'stem', 'stem', values(f.stem.channels, 'stem.channels', true)));
  f.stages.forEach((st, i) => {
    const p = `stages[${i}]`;
    const g = `stage${i + 1}`;
    dims.push(dim(`${g}.kernel`, g, 'k', values(st.kernel, `${p}.kernel`, true)));
    for (const k of dims[dims.length - 1]!.values)
      if ((k as number) % 2 === 0) throw new SpaceError(`${p}.kernel`, `kernel ${k} must be odd`);
    const e = st.expansion;
    if (typeof e === 'object' && !Array.isArray(e) && 'first' in e) {
      dims.push(dim(`${g}.expansionFirst`, g, 'f', values(e.first, `${p}.expansion.first`, true)));
      dims.push(dim(`${g}.expansion`, g, 'e', values(e.rest, `${p}.expansion.rest`, true)));
    } else {
      dims.push(dim(`${g}.expansion`, g, 'e', values(e as IntSpec, `${p}.expansion`, true)));
    }
    dims.push(dim(`${g}.channels`, g, 'c', values(st.channels, `${p}.channels`, true)));
    dims.push(dim(`${g}.depth`, g, 'n', values(st.depth, `${p}.depth`, true)));
    dims.push(dim(`${g}.se`, g, 'se', values(st.se, `${p}.se`, false)));
    dims.push(dim(`${g}.act`, g, '', values(st.act ?? f.act, `${p}.act`, false), 'act'));
  });
  dims.push(dim('head.channels', 'head', 'head', values(f.head.channels, 'head.channels', true)));
  return dims;
}

function parseInput(input: SpaceFile['input']): [number, number, number] {
  if (typeof input === 'string') return input.split('x').map(Number) as [number, number, number];
  return [input[0], input[1], input[2]];
}

/** Parses "CxHxW" (e.g. an `input` of 1x28x28). */
export function parseInputShape(text: string): [number, number, number] {
  const m = /^([1-9][0-9]*)x([1-9][0-9]*)x([1-9][0-9]*)$/.exec(text.trim());
  if (!m) throw new Error(`invalid input shape '${text}': expected CxHxW with positive integers, e.g. 3x32x32`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Builds the Space of a validated file. Throws SpaceError with the field path. */
export function resolveSpace(file: SpaceFile, origin?: string): Space {
  checkOp(file.stem.op, 'stem.op', ['conv']);
  checkOp(file.head.op, 'head.op', file.style === 'stagewise' ? ['conv', 'mbpool'] : ['conv', 'mbpool']);
  const dims = [...(file.style === 'layerwise' ? layerwiseDims(file) : stagewiseDims(file)), ...recipeDims(file)];
  const keys = new Set<string>();
  for (const d of dims) {
    if (keys.has(d.key)) throw new SpaceError(d.key, 'duplicate dimension');
    keys.add(d.key);
  }
  return Object.freeze({
    name: file.name,
    description: file.description ?? '',
    style: file.style,
    ...(origin ? { file: origin } : {}),
    source: file,
    dims: Object.freeze(dims),
    searchDims: Object.freeze(dims.filter((d) => d.values.length > 1)),
    input: Object.freeze(parseInput(file.input)),
    architectures: Object.freeze({ ...(file.architectures ?? {}) }),
  });
}
