// DNAS's settings: a zod object whose keys are the options, with defaults and descriptions (the
// CLI's flags and help come from it); the supernet's batch size, learning rate, images, threads and
// validation share are the weight-sharing options every such method has (src/supernet/weightSharingOptions.ts).
import { z } from 'zod';
import { weightSharingOptions } from '../../supernet/weightSharingOptions';

const posInt = z.number().int().positive();

export const dnasOptions = z
  .strictObject({
    /** What the loss's LAT is: the study's latency table (`lut`, microseconds) or FLOPs (MACs). */
    cost: z
      .enum(['latency', 'flops'])
      .default('latency')
      .describe("the loss's cost term: latency (the `lut` table, microseconds) or flops (MACs, no table needed)"),
    /** Loss CE * alpha * (log LAT)^beta. */
    alpha: z.number().positive().default(0.2).describe('alpha of the loss CE * alpha * (ln LAT)^beta'),
    beta: z.number().positive().default(0.6).describe('beta of the loss (larger = more latency pressure)'),
    /** Search epochs of the supernet (warm-up included). */
    epochs: posInt
      .default(10)
      .describe("the supernet's SEARCH epochs (the candidates' epochs come from `train.epochs` or the recipe)"),
    /** Warm-up epochs training only the weights (null: round(epochs / 9)). */
    warmup: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(null)
      .describe('search epochs that train only the weights (default round(epochs / 9))'),
    /** K: architectures sampled from the learned distribution (distinct), besides the argmax. */
    samples: z
      .number()
      .int()
      .min(0)
      .default(6)
      .describe(
        'architectures sampled from the learned distribution and trained, besides the argmax; with `trials` unset, the study trains samples + 1',
      ),
    /** Straight-through hard sampling (one candidate per layer runs) instead of the soft sum. */
    hard: z
      .boolean()
      .default(false)
      .describe(
        'straight-through supernet (one candidate per layer runs; faster, see docs/fbnet.md) instead of the soft sum',
      ),
    /**
     * A hard latency budget in microseconds (table latency): the argmax if it is within it, else the
     * most probable architecture within it, and K samples conditioned on it.
     */
    targetLatency: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe(
        "hard budget on the proposals' table latency, microseconds or with a unit (1500, 1.5ms): the argmax if within it, " +
          'else the most probable architecture within it, and samples drawn conditioned on it',
      ),
    /**
     * With targetLatency: the proposals' lowest table latency as a share of it (0.9: 90-100% of the
     * budget). No schema default: stored options of studies that do not set it stay as they were.
     */
    targetLatencyFloor: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        'with `targetLatency`: propose only architectures of at least this share of it (0.9: 90-100% of the budget), ' +
          'the most probable such one and samples conditioned on the band; a short search leaves the distribution ' +
          "near uniform, whose draws under a loose budget lie far below it, where the space's networks are less accurate",
      ),
    ...weightSharingOptions.shape,
    thetaLr: z
      .number()
      .positive()
      .default(0.01)
      .describe(
        "Adam learning rate of the architecture logits theta (the paper's, for ~12k steps: raise it for short searches)",
      ),
    /**
     * Gumbel-softmax temperature of the first epoch (absent: 5.0, the paper's) and its per-epoch decay
     * rate (absent: 0.045, the paper's over 90 epochs). No schema default, so the stored options of
     * studies that do not set them stay as they were (resume and benchmark keys compare them).
     */
    tau0: z
      .number()
      .positive()
      .optional()
      .describe('Gumbel-softmax temperature of the first search epoch (default 5.0)'),
    tauDecay: z
      .number()
      .min(0)
      .optional()
      .describe(
        "per-epoch decay of the Gumbel-softmax temperature, tau = tau0 * exp(-d * epoch) (default 0.045, the paper's over 90 epochs; " +
          "for an N-epoch search 4/N ends at the paper's final temperature)",
      ),
  })
  .refine((o) => o.warmup === null || o.warmup < o.epochs, {
    message: 'warmup must be less than epochs (at least one epoch must train the architecture logits)',
    path: ['warmup'],
  });
export type DnasStrategyOptions = z.infer<typeof dnasOptions>;
