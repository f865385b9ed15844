// The settings of a one-shot search (SPOS, and ABS = SPOS with angle-based shrinking first): a zod
// object whose keys are the options, with defaults and descriptions (the CLI's flags and help come
// from it). The evolution's defaults are the SPOS authors' (SPOS_SEARCH, src/search/genetic.ts);
// the supernet's are sized for a CPU and said so in docs/nse.md. The supernet's batch size, learning
// rate, images, threads and validation share are the weight-sharing options every such method has
// (src/supernet/weightSharingOptions.ts).
import { z } from 'zod';
import { weightSharingOptions } from '../../supernet/weightSharingOptions';
import { SPOS_SEARCH } from '../genetic';

const posInt = z.number().int().positive();

function oneShotOptions(shrinkDefault: boolean) {
  return z
    .strictObject({
      epochs: posInt
        .default(10)
        .describe(
          "the supernet's training epochs before the search (the retrained network's come from `train.epochs` or the recipe)",
        ),
      ...weightSharingOptions.shape,
      weightDecay: z
        .number()
        .min(0)
        .default(4e-5)
        .describe("the supernet's weight decay on conv and linear weights (the SPOS authors' 4e-5)"),
      flopsBins: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe(
          'constrained path sampling while training: pick one of N equal FLOPs bins uniformly, then a path in it (0: uniform paths)',
        ),
      recalBatches: z
        .number()
        .int()
        .min(0)
        .default(20)
        .describe(
          "training batches that recalibrate BatchNorm before each path's validation (the authors' 200; 0: no recalibration)",
        ),
      population: posInt.default(SPOS_SEARCH.population).describe("the evolution's population (SPOS: 50)"),
      generations: posInt.default(SPOS_SEARCH.generations).describe("the evolution's generations (SPOS: 20)"),
      parents: posInt
        .default(SPOS_SEARCH.parents)
        .describe('top K evaluated paths the parents are drawn from (SPOS: 10)'),
      mutants: z
        .number()
        .int()
        .min(0)
        .default(SPOS_SEARCH.mutants)
        .describe('children by mutation per generation (SPOS: 25)'),
      crossovers: z
        .number()
        .int()
        .min(0)
        .default(SPOS_SEARCH.crossovers)
        .describe('children by crossover per generation (SPOS: 25)'),
      mutationRate: z
        .number()
        .gt(0)
        .max(1)
        .default(SPOS_SEARCH.mutationRate)
        .describe('per-layer probability that a mutant resamples the op (SPOS: 0.1)'),
      retrain: posInt
        .default(1)
        .describe(
          'best paths of the evolution retrained from scratch as the study trials (with `trials` unset, the study trains this many)',
        ),
      shrink: z
        .boolean()
        .default(shrinkDefault)
        .describe('ABS: shrink the space by the angle metric before the search (abs: on)'),
      targetPaths: z
        .number()
        .positive()
        .default(1e6)
        .describe('ABS: shrink until the space has at most this many paths (the authors: 1e6)'),
      shrinkRounds: posInt
        .nullable()
        .default(null)
        .describe('ABS: at most this many shrinking rounds (default: until `options.targetPaths`)'),
      dropPerRound: posInt
        .nullable()
        .default(null)
        .describe("ABS: ops dropped per round (default the authors': the most candidates of a layer + 1)"),
      roundEpochs: posInt
        .nullable()
        .default(null)
        .describe(
          'ABS: supernet epochs after each round, continuing from the weights (default max(1, round(epochs / 10)))',
        ),
      anglePaths: posInt
        .default(1000)
        .describe('ABS: sampled paths (containing the op, within the constraints) whose mean angle scores an op'),
    })
    .refine((o) => o.parents <= o.population, {
      message:
        'parents must be at most the population (they are the top K of the evaluated paths): give `options.parents` <= `options.population`',
      path: ['parents'],
    })
    .refine((o) => o.mutants + o.crossovers <= o.population, {
      message:
        'mutants + crossovers must be at most the population (each generation has population paths): lower `options.mutants` or `options.crossovers`',
      path: ['mutants'],
    })
    .refine((o) => o.retrain <= o.population * o.generations, {
      message:
        'retrain must be at most population x generations (the paths the evolution evaluates): lower `options.retrain`',
      path: ['retrain'],
    });
}

export const sposOptions = oneShotOptions(false);
export const absOptions = oneShotOptions(true);
export type OneShotSearchOptions = z.infer<typeof sposOptions>;
