// The options every weight-sharing search has (DNAS, SPOS/ABS, NSE): how its supernet trains and
// on which images, defined once and merged into each method's options (z.strictObject({
// ...weightSharingOptions.shape, ...its own })), so that each has one key, one default and one
// description (and one flag: src/search/weightSharingFlags.ts) whatever the method.
import { z } from 'zod';

const posInt = z.number().int().positive();

export const weightSharingOptions = z.strictObject({
  batchSize: posInt.default(64).describe("the supernet's batch size"),
  lr: z.number().positive().default(0.05).describe("base learning rate of the supernet's weights (SGD, cosine)"),
  limitTrain: posInt
    .nullable()
    .default(null)
    .describe('training images of the supernet and its validation split (default: `train.limitTrain`, else all)'),
  threads: posInt.nullable().default(null).describe('engine threads of the supernet (default: `train.threads`)'),
  valFraction: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.2)
    .describe(
      "share of the supernet's training images held out from its weights: the split its architecture parameters learn on, or its paths are measured on",
    ),
});
export type WeightSharingOptions = z.infer<typeof weightSharingOptions>;
