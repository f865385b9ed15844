// FBNet's latency-aware loss:  L(a, w_a) = CE(a, w_a) * alpha * (log LAT(a))^beta,
// alpha = 0.2, beta = 0.6 by default, natural log, LAT in the cost table's unit (microseconds
// for a latency table, MMAC or kMAC for FLOPs). This is the paper's form; a known
// reimplementation bug computes alpha * CE * log(LAT^beta) = alpha * beta * CE * log LAT instead.
// LAT must be > 1 (checkCandidateCosts guarantees it for every architecture).
//
// Units. The unit sets the scale of the cost term (d log L / d log LAT = beta / ln LAT): state
// it and keep it fixed. Latency is in microseconds ('us', as FBNet's reimplementations), FLOPs in
// millions of MACs ('MMAC', the paper's "M FLOPs") or thousands ('kMAC'). log LAT must stay > 0
// for every architecture (a fractional power of a negative log is NaN), so checkCandidateCosts
// requires the cheapest architecture to cost more than 1 unit: small proxy spaces in MMAC can
// fail that (fbnet-s at 1x28x28 costs 0.5-14 MMAC); use 'kMAC' for them, which also puts the log
// term on the scale of a microsecond table.
import type { Tensor } from '../../engine/tensor';
import { tidy } from '../../engine/memory';

export const DEFAULT_ALPHA = 0.2;
export const DEFAULT_BETA = 0.6;

/** The loss tensor: ce * alpha * (log lat)^beta (scalars in, scalar out, differentiable in both). */
export function dnasLoss(ce: Tensor, lat: Tensor, alpha = DEFAULT_ALPHA, beta = DEFAULT_BETA): Tensor {
  return tidy(() => ce.mul(lat.log().pow(beta)).mul(alpha));
}

/** The same in plain numbers (records, tests, documentation). */
export function dnasLossValue(ce: number, lat: number, alpha = DEFAULT_ALPHA, beta = DEFAULT_BETA): number {
  return ce * alpha * Math.log(lat) ** beta;
}

export { checkCandidateCosts } from './lossCosts';
