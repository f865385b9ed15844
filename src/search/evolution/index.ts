// Regularized evolution as a plug-in ('evolution'; strategy.ts): no state kept beyond the trials, no hooks.
import type { StrategyPlugin } from '../strategyPlugin';
import { evolutionOptions, type EvolutionOptions } from './options';
import { RegularizedEvolution } from './strategy';

export * from './options';
export * from './strategy';

export const evolutionStrategy: StrategyPlugin<EvolutionOptions> = {
  name: 'evolution',
  description:
    'regularized (aging) evolution, Real et al. 2019: population P=20, sample size S=5, mutation from the space',
  options: evolutionOptions,
  create: (o) => new RegularizedEvolution(o),
};
