// Per-candidate latencies of a supernet from a latency lookup table (in microseconds): the
// `CandidateCostsSource` adapter. choiceLatencies gives, for every searched dimension of a
// layer-wise space, the time of the layers that choice decides for each of its values, and the
// time of everything else (stem, head, pool, classifier, fixed layers and the table's
// network-level overheadUs) as fixedUs. Here its `layerN` dimensions become the rows of perLayer
// in the order of supernetLayout(space).layers; a layer with one candidate (not searched)
// gets a row [0] because its time is already in fixedUs; a searched dimension that is not a layer
// (fbnet's head.channels) is held at its first value by the supernet, so that value's time joins
// `fixed`. Then fixed + sum_l perLayer[l][a_l] = predictLatency(table, space, a) exactly for every
// architecture a the supernet can pick (tested). No engine here.
import * as path from 'node:path';
import { choiceLatencies, checkTableFor, formatShape, type LatencyTable } from '../latency/latencyTable';
import type { Space } from '../space/types';
import type { CandidateCosts } from './candidateCosts';
import { supernetLayout } from './layout';

export interface LatencyCostsOptions {
  /** The supernet's input CxHxW (default the table's); must be the table's. */
  input?: readonly [number, number, number];
  /** Classes (default the table's); must be the table's. */
  classes?: number;
  /** A name for records (default the table's target and space). */
  source?: string;
}

/** CandidateCosts in microseconds from a latency table built for this space and input. */
export function latencyCandidateCosts(table: LatencyTable, space: Space, o: LatencyCostsOptions = {}): CandidateCosts {
  checkTableFor(table, space, o.input ? { input: o.input } : {});
  if (!table.input) {
    throw new Error(
      `the latency table for '${space.name}' has no fixed input (the space searches the resolution); the supernet needs a layer-wise space at one input`,
    );
  }
  if (o.classes !== undefined && o.classes !== table.classes) {
    throw new Error(
      `the latency table was built for ${table.classes} classes, not ${o.classes}: its classifier time would be wrong; build one for this data set`,
    );
  }
  const input = o.input ?? table.input;
  const layout = supernetLayout(space, input, o.classes ?? table.classes);
  if (formatShape(layout.input) !== formatShape(table.input)) {
    throw new Error(
      `the supernet's input ${formatShape(layout.input)} differs from the latency table's ${formatShape(table.input)}`,
    );
  }
  const cl = choiceLatencies(table, space);
  const byKey = new Map(cl.dims.map((d) => [d.key, d]));
  const layerKeys = new Set(layout.layers.map((l) => l.key));
  const perLayer = layout.layers.map((l) => {
    const d = byKey.get(l.key);
    if (!d) {
      if (l.candidates.length !== 1)
        throw new Error(
          `latency costs: ${l.key} has ${l.candidates.length} candidates but is not a searched dimension of '${space.name}'`,
        );
      return [0]; // not searched: its time is part of fixedUs
    }
    return l.candidates.map((c) => {
      const i = d.values.findIndex((v) => String(v) === c.op);
      if (i < 0)
        throw new Error(
          `latency costs: ${l.key} candidate '${c.op}' is not a value of the space's dimension (${d.values.join(', ')})`,
        );
      return d.us[i]!;
    });
  });
  // Searched dimensions that are not layers are held at their first value (layout.heldFixed).
  let fixed = cl.fixedUs;
  for (const d of cl.dims) if (!layerKeys.has(d.key)) fixed += d.us[0]!;
  const file = table.space.file ? path.basename(table.space.file) : table.space.name;
  return {
    unit: 'us',
    perLayer,
    fixed,
    source:
      o.source ??
      `latency table (${table.target.name}, ${table.target.threads} thread${table.target.threads === 1 ? '' : 's'}, ${file} at ${formatShape(table.input)})`,
  };
}
