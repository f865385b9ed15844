// Per-candidate costs of a supernet: the cost of every candidate of every layer plus what no
// choice changes, so that the cost of any path is fixed + the sum of its layers' entries. A
// search weights the rows with its per-layer distributions (an expected cost), bins or bounds
// paths by them, or samples within a budget. Two sources fill it: FLOPs from the analytic cost
// model (here), and a latency lookup table measured on the target (latencyCosts.ts, an adapter
// with the `CandidateCostsSource` signature). No engine here.
//
// Units: latency in microseconds ('us'), FLOPs in millions of MACs ('MMAC') or thousands
// ('kMAC'). A search whose objective is not linear in the cost (a log, a power) depends on the
// unit, so state it and keep it fixed; such a search adds its own checks on top of
// checkCostsMatchLayout (a loss in log cost needs every path to cost more than 1 unit).
import { layerCost } from '../cost/layerCost';
import type { LayerDesc, Space } from '../space/types';
import { candidateMacs, supernetLayout, type SupernetLayout } from './layout';

export type CostUnit = 'us' | 'MMAC' | 'kMAC';

/** Costs of every candidate of every layer, plus what no choice changes. */
export interface CandidateCosts {
  unit: CostUnit;
  /**
   * [layer][candidate], layers and candidates in the order of supernetLayout(space).layers
   * (the space's layer1..layerN; a fixed layer has one entry).
   */
  perLayer: number[][];
  /** Stem, head, pool + classifier, and any network-level overhead (a table's overheadUs). */
  fixed: number;
  /** Where the numbers come from, for records and reports ('flops', a table's file name...). */
  source?: string;
}

/**
 * The adapter signature for a latency lookup table: (space, input CxHxW) -> costs in 'us'.
 * perLayer[l][i] is the table's time of candidate i built with layer l's (C_in, C_out, stride)
 * at layer l's input shape (supernetLayout gives them); fixed is the stem, head, pool,
 * classifier and the table's overhead, so fixed + sum_l perLayer[l][a_l] predicts the whole
 * network a.
 */
export type CandidateCostsSource = (space: Space, input: readonly [number, number, number]) => CandidateCosts;

const UNIT_SCALE: Record<Exclude<CostUnit, 'us'>, number> = { MMAC: 1e6, kMAC: 1e3 };

/** A count of MACs in a FLOPs unit of these costs ('flops<=2M' -> 2 in MMAC). */
export function macsInUnit(macs: number, unit: Exclude<CostUnit, 'us'>): number {
  return macs / UNIT_SCALE[unit];
}

/** FLOPs (MACs, batch 1) of every candidate of every layer, and of the fixed layers. */
export function flopsCandidateCosts(
  space: Space,
  input?: readonly [number, number, number],
  classes?: number,
  o: { unit?: 'MMAC' | 'kMAC' } = {},
): CandidateCosts {
  const unit = o.unit ?? 'MMAC';
  const scale = UNIT_SCALE[unit];
  const layout = supernetLayout(space, input, classes);
  const perLayer = layout.layers.map((l) => l.candidates.map((c) => candidateMacs(layout, l, c) / scale));
  const d = layout.desc;
  const macsOf = (l: LayerDesc, name: 'stem' | 'head') => {
    const [, h, w] = layout.fixed.find((f) => f.name === name)!.input;
    return layerCost(l.cfg, l.cin, l.cout, l.stride, h, w, d.e1FirstConv).macs;
  };
  const fixedMacs = macsOf(d.stem, 'stem') + macsOf(d.head, 'head') + d.classifier.cin * d.classifier.cout;
  return { unit, perLayer, fixed: fixedMacs / scale, source: 'flops' };
}

/** Cost of one architecture given as candidate indices: fixed + sum_l perLayer[l][i_l]. */
export function architectureCost(costs: CandidateCosts, indices: readonly number[]): number {
  return indices.reduce((s, i, l) => s + costs.perLayer[l]![i]!, costs.fixed);
}

/** Expected cost under per-layer distributions: fixed + sum_l sum_i p_{l,i} perLayer[l][i]. */
export function expectedCost(costs: CandidateCosts, distributions: readonly (readonly number[])[]): number {
  return distributions.reduce((s, p, l) => s + p.reduce((a, pi, i) => a + pi * costs.perLayer[l]![i]!, 0), costs.fixed);
}

/** The cheapest and the most expensive architecture's cost. */
export function costRange(costs: CandidateCosts): { min: number; max: number } {
  return {
    min: costs.perLayer.reduce((s, c) => s + Math.min(...c), costs.fixed),
    max: costs.perLayer.reduce((s, c) => s + Math.max(...c), costs.fixed),
  };
}

/** How the checks name a cost table in their messages. */
export function describeCosts(costs: CandidateCosts, layout: SupernetLayout): string {
  return `candidate costs (${costs.source ?? 'unnamed source'}, unit ${costs.unit}) for space '${layout.space.name}'`;
}

/**
 * Throws unless the costs fit the layout: a known unit, one row per layer, one entry per
 * candidate, every entry and the fixed part finite. The message says which entry is wrong.
 */
export function checkCostsMatchLayout(costs: CandidateCosts, layout: SupernetLayout): void {
  const where = describeCosts(costs, layout);
  if (!['us', 'MMAC', 'kMAC'].includes(costs.unit))
    throw new Error(`${where}: unknown unit '${costs.unit}' (use 'us', 'MMAC' or 'kMAC')`);
  if (costs.perLayer.length !== layout.layers.length) {
    throw new Error(
      `${where}: ${costs.perLayer.length} layers of costs, but the space has ${layout.layers.length} layers (${layout.layers.map((l) => l.key).join(', ')})`,
    );
  }
  layout.layers.forEach((l, n) => {
    const row = costs.perLayer[n]!;
    if (row.length !== l.candidates.length) {
      throw new Error(
        `${where}: ${l.key} has ${row.length} costs but ${l.candidates.length} candidates (${l.candidates.map((c) => c.op).join(', ')})`,
      );
    }
    row.forEach((v, i) => {
      if (!Number.isFinite(v))
        throw new Error(
          `${where}: ${l.key} candidate '${l.candidates[i]!.op}' costs ${v}; every cost must be a finite number`,
        );
    });
  });
  if (!Number.isFinite(costs.fixed))
    throw new Error(`${where}: fixed cost is ${costs.fixed}; it must be a finite number`);
}
