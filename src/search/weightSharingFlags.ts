// The flags of the weight-sharing options (src/supernet/weightSharingOptions.ts), one name each
// for every method that has them, and the names they had before they were shared: these keep
// working, unlisted in the help (a DNAS or NSE script's --weight-lr, SPOS's --search-batch-size).
import type { WeightSharingOptions } from '../supernet/weightSharingOptions';
import type { FlagSpec } from './strategyPlugin';

export const WEIGHT_SHARING_FLAGS = {
  batchSize: { name: 'supernet-batch-size', aliases: ['search-batch-size'] },
  lr: { name: 'supernet-lr', value: 'lr', aliases: ['weight-lr'] },
  limitTrain: { name: 'supernet-limit-train', aliases: ['search-limit-train'] },
  threads: { name: 'supernet-threads', aliases: ['search-threads'] },
  valFraction: { name: 'supernet-val-fraction', value: 'f', aliases: ['val-fraction'] },
} as const satisfies Record<keyof WeightSharingOptions, FlagSpec>;

/** Option keys the weight-sharing methods had before they were shared: DNAS's and NSE's weightLr. */
export const WEIGHT_SHARING_RENAMED = { weightLr: 'lr' } as const;
