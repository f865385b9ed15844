// Per-candidate costs of a supernet, FBNet's LAT(b_{l,i}): data the supernet weights with its
// Gumbel-softmax masks to get a differentiable expected cost. Two sources fill it: FLOPs from
// the analytic cost model (here), and a latency lookup table measured on the target (an adapter
// with the `CandidateCostsSource` signature, written beside the latency tables). No engine here.
//
// Units. The loss is CE * alpha * (log LAT)^beta, so the unit sets the scale of the cost term
// (d log L / d log LAT = beta / ln LAT): state it and keep it fixed. Latency is in microseconds
// ('us', as FBNet's reimplementations), FLOPs in millions of MACs ('MMAC', the paper's "M FLOPs")
// or thousands ('kMAC'). log LAT must stay > 0 for every architecture (a fractional power of a
// negative log is NaN), so checkCandidateCosts requires the cheapest architecture to cost more
// than 1 unit: small proxy spaces in MMAC can fail that (fbnet-s at 1x28x28 costs 0.5-14 MMAC);
// use 'kMAC' for them, which also puts the log term on the scale of a microsecond table.
import { layerCost } from '../../cost/layerCost';
import type { LayerDesc, Space } from '../../space/types';
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

/** FLOPs (MACs, batch 1) of every candidate of every layer, and of the fixed layers. */
export function flopsCandidateCosts(space: Space, input?: readonly [number, number, number], classes?: number,
  o: { unit?: 'MMAC' | 'kMAC' } = {}): CandidateCosts {
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

/**
 * Throws unless the costs fit the layout (one row per layer, one entry per candidate, finite)
 * and every architecture costs more than 1 unit (so log LAT > 0 in the loss). The message says
 * which entry is wrong and what to do.
 */
export function checkCandidateCosts(costs: CandidateCosts, layout: SupernetLayout): void {
  const where = `candidate costs (${costs.source ?? 'unnamed source'}, unit ${costs.unit}) for space '${layout.space.name}'`;
  if (!['us', 'MMAC', 'kMAC'].includes(costs.unit)) throw new Error(`${where}: unknown unit '${costs.unit}' (use 'us', 'MMAC' or 'kMAC')`);
  if (costs.perLayer.length !== layout.layers.length) {
    throw new Error(`${where}: ${costs.perLayer.length} layers of costs, but the space has ${layout.layers.length} layers (${layout.layers.map((l) => l.key).join(', ')})`);
  }
  layout.layers.forEach((l, n) => {
    const row = costs.perLayer[n]!;
    if (row.length !== l.candidates.length) {
      throw new Error(`${where}: ${l.key} has ${row.length} costs but ${l.candidates.length} candidates (${l.candidates.map((c) => c.op).join(', ')})`);
    }
    row.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new Error(`${where}: ${l.key} candidate '${l.candidates[i]!.op}' costs ${v}; every cost must be a finite number`);
    });
  });
  if (!Number.isFinite(costs.fixed)) throw new Error(`${where}: fixed cost is ${costs.fixed}; it must be a finite number`);
  const { min } = costRange(costs);
  if (!(min > 1)) {
    throw new Error(`${where}: the cheapest architecture costs ${min.toPrecision(4)} ${costs.unit}, but the loss ` +
      `CE * alpha * (log LAT)^beta needs LAT > 1 for every architecture; express the costs in a smaller unit ` +
      `(FLOPs: flopsCandidateCosts(..., { unit: 'kMAC' }); latency: microseconds)`);
  }
}
