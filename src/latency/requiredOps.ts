// Which ops a latency table of a space must time: every distinct key any architecture of the
// space can need, with the layers that need it.
//
// - Spaces whose searched dimensions are all lists (FBNet style, and fixed networks): complete.
//   Every single change and every pair of changes away from the default architecture is
//   decoded and its layers keyed. A layer's key depends on its own op choice and its input
//   shape; in a layerwise space the input shape does not depend on earlier choices (all
//   candidates of a layer share its stride and k/2 padding) and the only other choice that
//   reaches a key is the head width (head C_out, classifier C_in). So every key depends on at
//   most two choices, and the pairs enumerate all of them. A check over sampled architectures
//   confirms it; a key found only there marks the coverage 'sampled'.
// - Spaces with ranges (FBNetV3 style): the key grid is the product of kernels, expansions,
//   channel pairs, SE, activations and resolutions per stage (far too large to time), so the
//   table holds the keys met in a scrambled-Sobol sample of architectures (`sample`, default
//   256, seeded). predictLatency names any key an architecture needs beyond those.
import { acceptsIndices, archFromIndices, archIndices, defaultArch } from '../space/archFormat';
import { sampleSobol, sampleUniformN } from '../arch/sample';
import { costBreakdown } from '../cost/netCost';
import { decode } from '../space/decode';
import type { Arch, Space } from '../space/types';
import { formatBranches } from '../blocks/opName';
import { latencyKey, opSpecsOfRow } from './latencyKey';
import type { OpSpec } from './target';

export interface RequiredOp {
  key: string;
  spec: OpSpec;
  /** Role names of the layers that need it ('stem', 'stages.1.0', 'head', 'pool', 'classifier'). */
  layers: string[];
}

export interface Coverage {
  /** 'complete': every key of every architecture; 'sampled': the keys of `archs` sampled architectures. */
  method: 'complete' | 'sampled';
  /** How the keys were found, in words (stored in the table). */
  description: string;
  /** Architectures decoded to find the keys. */
  archs: number;
  seed?: number;
  /** For 'sampled' tables of spaces with ranges: the size of the Sobol sample the keys came from (validation draws from it). */
  sample?: number;
}

export interface RequiredOpsOptions {
  /** Input CxHxW; null or absent: the space's own (or, when it searches resolution, the architecture's). */
  input?: readonly [number, number, number] | null;
  /** Architectures sampled for spaces with ranges (default 256). */
  sample?: number;
  seed?: number;
}

/** True when the space searches the input resolution (an `input` shape cannot be given). */
export function searchesResolution(space: Space): boolean {
  return space.dims.some((d) => d.key === 'resolution');
}

/** The keys of every layer of one architecture, in forward order. */
export function archOps(
  space: Space,
  arch: Arch,
  input?: readonly [number, number, number] | null,
): { key: string; spec: OpSpec; layer: string }[] {
  const d = decode(space, arch, input ? { input } : {});
  return costBreakdown(d).flatMap((row) =>
    opSpecsOfRow(row, d).map((spec) => ({ key: latencyKey(spec), spec, layer: row.name })),
  );
}

/** Pairs of choices larger than this are not enumerated: the keys come from a sample. */
const MAX_PAIRS = 2_000_000;

function choicePairs(space: Space): number {
  const dims = space.searchDims;
  return dims.reduce((n, d, j) => n + d.values.length * dims.slice(j + 1).reduce((m, e) => m + e.values.length, 0), 0);
}

/**
 * Whether a table of this space takes its keys from a sample of architectures (a space with
 * ranges: the `sample` option applies), or enumerates them (the option does nothing).
 */
export function keysFromSample(space: Space): boolean {
  return !(acceptsIndices(space) && choicePairs(space) <= MAX_PAIRS);
}

/** The ops a table of this space must hold, and how completely they were found. */
export function requiredOps(
  space: Space,
  o: RequiredOpsOptions = {},
): { ops: RequiredOp[]; coverage: Coverage; add: (arch: Arch) => number } {
  const input = o.input ?? null;
  const seed = o.seed ?? 0;
  const found = new Map<string, RequiredOp>();
  let archs = 0;
  const add = (arch: Arch): number => {
    archs++;
    let added = 0;
    for (const { key, spec, layer } of archOps(space, arch, input)) {
      const hit = found.get(key);
      if (!hit) {
        found.set(key, { key, spec, layers: [layer] });
        added++;
      } else if (!hit.layers.includes(layer)) {
        hit.layers.push(layer);
      }
    }
    return added;
  };

  let coverage: Coverage;
  const dims = space.searchDims;
  if (!keysFromSample(space)) {
    const base = archIndices(space, defaultArch(space));
    add(archFromIndices(space, base));
    for (let j = 0; j < dims.length; j++) {
      for (let a = 0; a < dims[j]!.values.length; a++) {
        const idx = [...base];
        idx[j] = a;
        add(archFromIndices(space, idx));
        for (let k = j + 1; k < dims.length; k++) {
          for (let b = 0; b < dims[k]!.values.length; b++) {
            idx[k] = b;
            add(archFromIndices(space, idx));
          }
          idx[k] = base[k]!;
        }
      }
    }
    // Multi-branch layers: their branches' keys are the single ops' at that layer; what they add is
    // the add of the layer's output shape, which one two-branch value per layer brings.
    for (const d of dims) {
      if (!d.branches || d.values.length < 2) continue;
      const arch = archFromIndices(space, base);
      arch[d.key] = formatBranches([String(d.values[0]), String(d.values[1])]);
      add(arch);
    }
    const enumerated = archs;
    let extra = 0;
    for (const arch of sampleUniformN(space, 256, seed)) extra += add(arch);
    coverage =
      extra === 0
        ? {
            method: 'complete',
            archs,
            description: `complete: every key of the default architecture changed in one or two choices (${enumerated} architectures; each key depends on at most two choices), checked against 256 uniform samples`,
          }
        : {
            method: 'sampled',
            archs,
            seed,
            description: `${extra} key(s) appeared only in 256 uniform samples (seed ${seed}) beyond the ${enumerated} one- and two-choice changes: some keys depend on three or more choices, so the table may miss some`,
          };
  } else {
    const n = o.sample ?? 256;
    for (const arch of sampleSobol(space, n, { seed })) add(arch);
    coverage = {
      method: 'sampled',
      archs,
      seed,
      sample: n,
      description:
        `sampled: the keys met in ${n} scrambled-Sobol architectures (seed ${seed}); the full grid of ranges is too large to time. ` +
        'An architecture needing another key fails to predict; rebuild with a larger `sample`.',
    };
  }
  return {
    get ops() {
      return [...found.values()];
    },
    coverage,
    /** Adds the keys of one more architecture; returns how many were new. */
    add,
  };
}
