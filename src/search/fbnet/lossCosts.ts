// The costs FBNet's latency-aware loss accepts, checked before any engine work (the strategy checks
// them when a study is set up, which must not load the engine).
import { checkCostsMatchLayout, costRange, describeCosts, type CandidateCosts } from '../../supernet/candidateCosts';
import type { SupernetLayout } from '../../supernet/layout';

/**
 * Throws unless the costs fit the layout (checkCostsMatchLayout: one row per layer, one entry per
 * candidate, finite) and every architecture costs more than 1 unit (so log LAT > 0 in the loss).
 * The message says which entry is wrong and what to do.
 */
export function checkCandidateCosts(costs: CandidateCosts, layout: SupernetLayout): void {
  checkCostsMatchLayout(costs, layout);
  const { min } = costRange(costs);
  if (!(min > 1)) {
    throw new Error(
      `${describeCosts(costs, layout)}: the cheapest architecture costs ${min.toPrecision(4)} ${costs.unit}, but the loss ` +
        `CE * alpha * (log LAT)^beta needs LAT > 1 for every architecture; express the costs in a smaller unit ` +
        `(FLOPs: flopsCandidateCosts(..., { unit: 'kMAC' }); latency: microseconds)`,
    );
  }
}
