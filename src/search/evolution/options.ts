// Regularized evolution's settings: a zod object whose keys are the options (the CLI's flags and help come from it).
import { z } from 'zod';
import { DEFAULT_MAX_TRIES } from '../../cost/constraints';

export const evolutionOptions = z
  .strictObject({
    /** P: population size (the number of most recent complete trials kept). */
    population: z.number().int().min(2).default(20).describe('population size P: the most recent complete trials kept'),
    /** S: members sampled per proposal; the best of them is the parent. */
    sampleSize: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('sample size S: members drawn per proposal, the best of them is the parent'),
    /** Probability that each searched choice mutates (default 1 / number of searched choices). */
    mutationProb: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('probability that each searched choice mutates (default 1 / number of searched choices)'),
    maxTries: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_MAX_TRIES)
      .describe('draws per proposal before giving up on the constraints'),
  })
  .refine((o) => o.sampleSize <= o.population, {
    message: 'sampleSize must not exceed population',
    path: ['sampleSize'],
  });
export type EvolutionOptions = z.infer<typeof evolutionOptions>;
