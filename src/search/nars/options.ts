// The settings of a NARS study (FBNetV3's Neural Architecture-Recipe Search, spec fbnetv3.md): a zod
// object whose keys are the options, with defaults and descriptions (the CLI's flags and help come
// from it, src/search/strategyFlags.ts). Where the paper leaves a value open the default is ours,
// said so here and in docs/fbnetv3.md.
import { z } from 'zod';

const posInt = z.number().int().positive();
const posNumber = z.number().positive();

export const NARS_MODES = ['joint', 'arch', 'recipe'] as const;
export type NarsMode = (typeof NARS_MODES)[number];

export const narsOptions = z.strictObject({
  mode: z
    .enum(NARS_MODES)
    .default('joint')
    .describe(
      "what is searched: joint (the architecture and the space's recipe fields), arch (the architecture; the recipe held at `options.fixed`'s), " +
        "recipe (the recipe of the architecture given by `options.fixed`, the paper's section 4.1)",
    ),
  fixed: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      'an architecture of the space (a name or its string) holding what the mode does not search: its architecture with `options.mode` recipe ' +
        "(required), its recipe fields with `options.mode` arch (default: each recipe field's first value)",
    ),
  pool: posInt
    .default(20000)
    .describe(
      'n: architecture-recipe pairs drawn for stage 1 by scrambled Sobol sampling inside the window (the whole window when it holds fewer)',
    ),
  window: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      "the pool's constraint window besides `constraints`: bounds on flops, params or latency, comma-separated, e.g. 'flops>=2M,flops<=8M'",
    ),
  rounds: posInt
    .nullable()
    .default(null)
    .describe('T: rounds of stage 2, dividing `trials` (default 5; 4 with `options.mode` recipe, as in the paper)'),
  perRound: posInt
    .nullable()
    .default(null)
    .describe(
      'm: candidates per round (default: `trials` divided by T); with `trials` unset the study evaluates m x T',
    ),
  earlyStopThreshold: z
    .number()
    .gt(0)
    .max(1)
    .default(0.92)
    .describe(
      "the rank correlation with the final ranking of round 1's candidates at which an epoch is early enough: later candidates train that many epochs",
    ),
  earlyStopCorrelation: z
    .enum(['kendall', 'spearman'])
    .default('kendall')
    .describe("the rank correlation the early-stopping epoch is chosen by: Kendall's tau-b or Spearman's rho"),
  pretrainEpochs: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe(
      "stage 1: epochs of the encoder and proxy head on the pool's FLOPs and params (and table latency); 0: no pretraining",
    ),
  pretrainLr: posNumber.default(1e-3).describe('stage 1: Adam learning rate'),
  hidden: posInt.default(128).describe("the architecture encoder's hidden width"),
  embedding: posInt.default(64).describe("the architecture embedding's width (the encoder's output)"),
  headHidden: posInt.default(64).describe("the accuracy head's hidden width (it reads [embedding, recipe features])"),
  batchSize: posInt.default(256).describe("the predictor's batch size (refits use min(this, 32))"),
  headEpochs: posInt
    .default(50)
    .describe('each refit: epochs of the accuracy head with the pretrained embedding frozen'),
  headLr: posNumber.default(3e-3).describe("each refit: Adam learning rate of the head's epochs"),
  fineEpochs: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe('each refit: epochs of the whole model after the head epochs, at `options.fineLr`'),
  fineLr: posNumber
    .default(3e-4)
    .describe('each refit: Adam learning rate of the whole model (lower than `options.headLr`)'),
  budgets: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      "stage 3: budgets answered when the search ends, comma-separated, e.g. 'flops<=3M,flops<=5M' (later ones: tsnas study answer)",
    ),
  trainAnswers: z
    .boolean()
    .default(false)
    .describe("evaluate each budget's answer with the study's evaluator (training: the recipe's full epochs)"),
  gaPopulation: posInt.default(100).describe("stage 3: the genetic algorithm's first generation"),
  gaSeeds: z
    .number()
    .int()
    .min(0)
    .default(10)
    .describe('stage 3: the best stage-2 pairs within the budget in the first generation (the rest random)'),
  gaParents: posInt.default(20).describe('stage 3: K, parents drawn from the top K scored so far'),
  gaMutants: z.number().int().min(0).default(50).describe('stage 3: children by mutation per generation'),
  gaCrossovers: z.number().int().min(0).default(50).describe('stage 3: children by crossover per generation'),
  gaGenerations: posInt.default(100).describe('stage 3: generations at most'),
  gaPatience: posInt.default(3).describe('stage 3: stop after this many generations without a better best score'),
  predictorThreads: posInt.default(1).describe("engine threads of the predictor's training and scoring"),
});
export type NarsOptions = z.infer<typeof narsOptions>;

/** T when `options.rounds` is not given: the paper's 5 for joint search, 4 for recipe-only search. */
export function defaultRounds(mode: NarsMode): number {
  return mode === 'recipe' ? 4 : 5;
}

/**
 * How `trials` is divided among the rounds: m each (the first rounds one more when T does not
 * divide it), or m per round given, the last round the remainder.
 */
export function roundSizes(trials: number, rounds: number, perRound: number | null): number[] {
  if (perRound !== null) {
    const out: number[] = [];
    for (let left = trials; left > 0; left -= perRound) out.push(Math.min(perRound, left));
    return out;
  }
  const base = Math.floor(trials / rounds);
  const extra = trials % rounds;
  return Array.from({ length: rounds }, (_, i) => base + (i < extra ? 1 : 0)).filter((n) => n > 0);
}
