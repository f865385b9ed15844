// NSE's settings: a zod object whose keys are the options and whose .describe() texts are the
// CLI's help (each option a flag: strategyFlags.ts). Cross-field rules are
// refinements, so bad settings are refused before any work. The supernet's batch size, learning
// rate, images, threads and validation share are the weight-sharing options every such method has
// (src/supernet/weightSharingOptions.ts).
import { z } from 'zod';
import { weightSharingOptions } from '../../supernet/weightSharingOptions';

const posInt = z.number().int().positive();

export const nseOptions = z
  .strictObject({
    subsetSize: posInt
      .default(4)
      .describe(
        "ops per layer in a round's supernet (the subset S_r of the layer's pool; the pool has the space's candidates)",
      ),
    keep: posInt
      .default(2)
      .describe('ops per layer kept after a round (the best scored); the subset is refilled with unexplored ops'),
    rounds: posInt
      .nullable()
      .default(null)
      .describe('most rounds (default: until every op of the pool has been in a round)'),
    epochs: posInt
      .default(2)
      .describe("supernet epochs per round (the final network's come from `train.epochs` or the recipe)"),
    cost: z
      .enum(['flops', 'latency'])
      .default('flops')
      .describe("the gates' resource penalty: flops (MACs) or latency (the `lut` table, microseconds)"),
    penalty: z
      .number()
      .min(0)
      .default(1)
      .describe(
        "weight of the resource penalty: penalty * E[cost] / (cost of the pool's mean path) joins the validation loss alpha is learned on",
      ),
    threshold: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.5)
      .describe("a branch is in the chosen architecture when its gate's probability sigmoid(alpha) is at least this"),
    ...weightSharingOptions.shape,
    alphaLr: z.number().positive().default(0.05).describe('Adam learning rate of the gate logits alpha'),
    score: z
      .enum(['probability', 'angle', 'mixed'])
      .default('probability')
      .describe(
        "what decides which ops a round keeps: probability (the gate's sigmoid(alpha)), angle (ABS's mean path angle between the op's initial and current weights), or mixed (per layer the mean of the two ranks)",
      ),
    anglePaths: posInt
      .default(1000)
      .describe(
        "with `options.score` angle or mixed: sampled single-op paths of the round's subset (containing the op, within the constraints) whose mean angle scores an op",
      ),
    recalibrationBatches: posInt
      .default(10)
      .describe("training batches that recalibrate BatchNorm before a round's chosen architecture is scored one-shot"),
    roundTrials: z
      .boolean()
      .default(false)
      .describe(
        "also retrain every round's chosen architecture from scratch (a trial per round: does evolving the space help)",
      ),
  })
  .refine((o) => o.keep < o.subsetSize, {
    message: 'keep must be less than subsetSize (a round must leave room for unexplored ops)',
    path: ['keep'],
  });
export type NseOptions = z.infer<typeof nseOptions>;
