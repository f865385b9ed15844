import { manualSeed } from '../engine/creation';

/**
 * Seeds libtorch's generator (dropout, stochastic depth, Gumbel noise) for one epoch of a run, so
 * an epoch draws the same numbers whether the run is fresh or resumed from a checkpoint.
 */
export function seedEpoch(runSeed: number, epoch: number): void {
  manualSeed(runSeed * 100003 + epoch);
}
