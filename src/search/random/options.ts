// Random search's settings: a zod object whose keys are the options (the CLI's flags and help come from it).
import { z } from 'zod';
import { DEFAULT_MAX_TRIES } from '../../cost/constraints';

export const randomOptions = z.strictObject({
  /** Draws per proposal before giving up on the constraints. */
  maxTries: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_TRIES)
    .describe('draws per proposal before giving up on the constraints'),
});
export type RandomOptions = z.infer<typeof randomOptions>;
