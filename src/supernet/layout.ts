// The supernet's layout: for a layer-wise space, every layer of the fixed macro-architecture
// with its candidate ops, channels, stride and input shape. Plain data, no engine: the
// supernet, the cost tables (FLOPs here, latency from a lookup table) and the path samplers all
// index layers and candidates through it, so [layer][candidate] means the same thing everywhere.
//
// Layers are the space's layer dimensions in order (layerDims: `layer1..layerN`, all of them: a
// layer whose list has one op is a fixed layer with one candidate). Other searched dimensions of
// a layer-wise space (`stem.channels`, `head.channels`, recipe fields) are held at their first
// value, as docs/spaces.md suggests for the fbnet space's head width; `heldFixed` names them.
import { parseOp, type OpConfig } from '../blocks/opName';
import { layerCost } from '../cost/layerCost';
import { costBreakdown } from '../cost/netCost';
import { defaultArch, formatArch } from '../space/archFormat';
import { decode } from '../space/decode';
import { layerDims } from '../space/layerDims';
import type { Arch, LayerDesc, NetDesc, Space } from '../space/types';

export type Shape3 = [number, number, number];

/** One candidate of one layer. */
export interface CandidateDesc {
  /** Canonical op name (the space's value), e.g. 'ir_k5_e6' or 'skip'. */
  op: string;
  cfg: OpConfig;
}

/** One layer of the supernet's macro-architecture. */
export interface SupernetLayer {
  /** The space's dimension key, 'layer3'. */
  key: string;
  /** Role path, as in the standalone network: 'stages.1.1'. */
  name: string;
  cin: number;
  cout: number;
  stride: number;
  /** Input C, H, W (batch 1); the same whichever candidates earlier layers pick. */
  input: Shape3;
  /** Output C, H, W. */
  output: Shape3;
  candidates: CandidateDesc[];
  /** More than one candidate: the layer is a choice a search makes. */
  searchable: boolean;
}

/** A fixed (non-searched) part of the network: stem, head, pool, classifier. */
export interface FixedLayer {
  name: 'stem' | 'head' | 'pool' | 'classifier';
  op: string;
  cin: number;
  cout: number;
  stride: number;
  input: Shape3;
  output: Shape3;
}

export interface SupernetLayout {
  space: Space;
  input: Shape3;
  classes: number;
  /** The decoded network of the held architecture: stem, head, classifier and the e = 1 reading. */
  desc: NetDesc;
  layers: SupernetLayer[];
  fixed: FixedLayer[];
  /** Searched dimensions that are not layers, held at their first value. */
  heldFixed: string[];
}

function checkCandidate(space: Space, l: LayerDesc, key: string, cfg: OpConfig, op: string): void {
  if (cfg.type !== 'ir') return;
  const mid = l.cin * cfg.expansion;
  const g = cfg.groups;
  if (l.cin % g || mid % g || l.cout % g) {
    throw new Error(
      `space '${space.name}', ${key} (${l.name}): candidate '${op}' has groups ${g} but the layer's channels ` +
        `(C_in ${l.cin}, C_mid ${mid}, C_out ${l.cout}) are not divisible by ${g}; a supernet builds every candidate of every layer, ` +
        'so change the channels or drop the candidate from this stage',
    );
  }
}

/**
 * The layout of the supernet of a layer-wise space for an input CxHxW and a class count.
 * Throws for stage-wise spaces (their choices are not a candidate list per layer).
 */
export function supernetLayout(
  space: Space,
  input?: readonly [number, number, number],
  classes?: number,
): SupernetLayout {
  if (space.source.style !== 'layerwise') {
    throw new Error(
      `space '${space.name}' is ${space.source.style}; a supernet needs a layer-wise space, where every ` +
        'searchable layer picks one op from a candidate list (e.g. fbnet, fbnet-s)',
    );
  }
  const held = defaultArch(space);
  const desc = decode(space, held, { input, classes });
  const rows = costBreakdown(desc);
  const rowOf = new Map(rows.map((r) => [r.name, r]));
  const blocks = desc.stages.flat();
  const dims = layerDims(space);
  if (dims.length !== blocks.length) {
    throw new Error(`space '${space.name}': ${dims.length} layer dimensions but ${blocks.length} decoded blocks`);
  }
  const layers = dims.map((d, n): SupernetLayer => {
    const l = blocks[n]!;
    const row = rowOf.get(l.name)!;
    const candidates = d.values.map((v) => {
      const op = String(v);
      const cfg = parseOp(op);
      checkCandidate(space, l, d.key, cfg, op);
      return { op, cfg };
    });
    return {
      key: d.key,
      name: l.name,
      cin: l.cin,
      cout: l.cout,
      stride: l.stride,
      input: row.input,
      output: row.output,
      candidates,
      searchable: candidates.length > 1,
    };
  });
  const fixed = (['stem', 'head', 'pool', 'classifier'] as const).map((name): FixedLayer => {
    const r = rowOf.get(name)!;
    return { name, op: r.op, cin: r.input[0], cout: r.output[0], stride: r.stride, input: r.input, output: r.output };
  });
  const layerKeys = new Set(dims.map((d) => d.key));
  const heldFixed = space.searchDims.filter((d) => !layerKeys.has(d.key)).map((d) => `${d.key}=${String(d.values[0])}`);
  return { space, input: desc.input, classes: desc.classes, desc, layers, fixed, heldFixed };
}

/** The architecture that picks candidate indices[l] in every layer l (other dimensions held). */
export function archOfIndices(layout: SupernetLayout, indices: readonly number[]): Arch {
  if (indices.length !== layout.layers.length) {
    throw new Error(
      `space '${layout.space.name}' has ${layout.layers.length} layers; got ${indices.length} candidate indices`,
    );
  }
  const arch = defaultArch(layout.space);
  layout.layers.forEach((l, n) => {
    const i = indices[n]!;
    if (!Number.isInteger(i) || i < 0 || i >= l.candidates.length) {
      throw new Error(`${l.key}: candidate index ${i} is out of range 0..${l.candidates.length - 1}`);
    }
    arch[l.key] = l.candidates[i]!.op;
  });
  return arch;
}

/** The candidate index of every layer in an architecture of the layout's space. */
export function indicesOfArch(layout: SupernetLayout, arch: Arch): number[] {
  return layout.layers.map((l) => {
    const i = l.candidates.findIndex((c) => c.op === arch[l.key]);
    if (i < 0)
      throw new Error(
        `${l.key}: '${String(arch[l.key])}' is not one of its candidates (${l.candidates.map((c) => c.op).join(', ')})`,
      );
    return i;
  });
}

/** The compact architecture string of candidate indices. */
export function formatIndicesArch(layout: SupernetLayout, indices: readonly number[]): string {
  return formatArch(layout.space, archOfIndices(layout, indices));
}

/** MACs of candidate `c` in layer `l` at the layer's input shape (batch 1). */
export function candidateMacs(layout: SupernetLayout, l: SupernetLayer, c: CandidateDesc): number {
  return layerCost(c.cfg, l.cin, l.cout, l.stride, l.input[1], l.input[2], layout.desc.e1FirstConv).macs;
}

/** Index of the largest value (the first on ties). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}
