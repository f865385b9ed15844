// Resolved spaces, architectures and decoded networks: plain data shared by the arch tools,
// the builder and the cost models.
import type { ActName, OpConfig } from '../blocks/opName';
import type { SpaceFile } from './schema';

export type { SpaceFile } from './schema';

/** One value a decision can take. */
export type Value = number | string | boolean;

/**
 * One decision of a space. An architecture assigns every dimension one of its values;
 * dimensions with a single value are fixed (listed for completeness, never searched).
 */
export interface Dim {
  /** Unique key, used in the JSON form: 'layer7', 'stage3.channels', 'recipe.lr'. */
  key: string;
  /** Section of the compact string ('stage3', 'head', 'recipe'). */
  group: string;
  /** Prefix of this dimension's token in the compact string ('' for op names). */
  code: string;
  /** Allowed values in order (ranges are enumerated). */
  values: readonly Value[];
  /** 'onehot' for sets and op lists, 'scalar' (min-max normalised) for ranges. */
  encoding: 'onehot' | 'scalar';
  /** How values print in the compact string: as themselves, or activations as short codes. */
  format: 'plain' | 'act';
  /**
   * Multi-branch layers (a layer-wise space's `branches`): an architecture may give this dimension
   * a '+'-joined set of 2..branches of its values in canonical order (ir_k3_e3+ir_k5_e1) as well as
   * one value. Absent: one value.
   */
  branches?: number;
}

export interface Space {
  name: string;
  description: string;
  style: SpaceFile['style'];
  /** The file it was loaded from, when it was. */
  file?: string;
  /** The validated file contents (defaults filled in). */
  source: SpaceFile;
  /** Every decision, fixed ones included, in canonical order. */
  dims: readonly Dim[];
  /** The decisions with more than one value. */
  searchDims: readonly Dim[];
  /** Default input CxHxW. */
  input: readonly [number, number, number];
  /** Named architectures (name -> compact or index string). */
  architectures: Readonly<Record<string, string>>;
}

/** An architecture: one value per dimension key (the JSON form's `values`). */
export type Arch = Record<string, Value>;

/** One layer of a decoded network, with its role name (the builder's child path). */
export interface LayerDesc {
  /** Dotted role path: 'stem', 'stages.2.0', 'head'. */
  name: string;
  /** Canonical op name (a LUT key part). */
  op: string;
  cfg: OpConfig;
  cin: number;
  cout: number;
  stride: number;
}

/** A network decoded from (space, arch): everything the builder and the cost models need. */
export interface NetDesc {
  space: string;
  input: [number, number, number];
  classes: number;
  e1FirstConv: 'keep' | 'drop';
  stem: LayerDesc;
  stages: LayerDesc[][];
  head: LayerDesc;
  /** 'avg': global average pool (a no-op reshape after an mbpool head, already pooled). */
  pool: 'avg';
  classifier: { cin: number; cout: number; bias: boolean; dropout: number };
  /** Stochastic depth rate for residual blocks (0 = off), from the recipe or the caller. */
  dropPath: number;
}

export interface DecodeOptions {
  /** Input CxHxW overriding the space's default; in a space that searches the resolution only C is used. */
  input?: readonly [number, number, number];
  classes?: number;
  dropout?: number;
  dropPath?: number;
}

export type { ActName };
