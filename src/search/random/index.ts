// Random search as a plug-in ('random'; strategy.ts): no state, no hooks.
import type { StrategyPlugin } from '../strategyPlugin';
import { randomOptions, type RandomOptions } from './options';
import { RandomSearch } from './strategy';

export * from './options';
export * from './strategy';

export const randomStrategy: StrategyPlugin<RandomOptions> = {
  name: 'random',
  description: 'random search: architectures drawn uniformly within the constraints',
  options: randomOptions,
  create: (o) => new RandomSearch(o),
};
