// What a NARS study keeps in its store (typed state keys; weights are artifact files in the study
// directory, named in these records). Each stage writes its record once its work is done, so a
// record's presence means "done, do not redo":
//   nars.settings   what is searched, the window, the rounds (written with the pool)
//   nars.pool       stage 1's pool (value indices of every pair)
//   nars.pretrain   stage 1's pretraining: its validation figures and weights file
//   nars.rounds     stage 2: each round's candidates (with the predictions they were picked by),
//                   its early-stopping epoch, and its refit (weights file, fit) once done
//   nars.earlyStop  the early-stopping decision after round 1 (the correlation against epochs)
//   nars.answers    stage 3: one record per budget and refit, with its evaluation when asked
//   nars.answerRefinements  `evaluate` K for a budget: its rounds and refits (answerRefine.ts)
import { stateKey } from '../../study/stateKey';
import type { ArchCosts } from '../../cost/costModel';
import type { EarlyStopDecision } from './earlyStop';
import type { NarsMode } from './options';
import type { PoolHow } from './pool';
import type { StatValidation } from './predictor';

export interface NarsSettings {
  mode: NarsMode;
  /** What is searched and held, for people. */
  description: string;
  /** The values held fixed (dimension key -> value). */
  fixed: Record<string, string | number | boolean>;
  window: string;
  /** Round sizes as planned from `trials` (rounds beyond them, after failures, take m). */
  sizes: number[];
  /** The predictor's feature widths. */
  archFeatures: number;
  recipeFeatures: number;
}

export interface NarsPoolRecord {
  how: PoolHow;
  entries: string[];
  wanted: number;
  looked: number;
  searchSize: number;
  summary: string;
  cpuSeconds: number;
}

export interface NarsPretrainRecord {
  /** Why there was no pretraining (no epochs asked, statistics that do not vary), or null. */
  skipped: string | null;
  epochs: number;
  stats: string[];
  train: number;
  val: number;
  losses: number[];
  validation: StatValidation[];
  cpuSeconds: number;
  /** The weights file, relative to the study directory. */
  weights: string;
}

export interface NarsCandidate {
  arch: string;
  /** The predicted objective when the round was planned (null in round 1). */
  predicted: number | null;
}

export interface NarsRefitRecord {
  /** Complete trials it learnt from. */
  samples: number;
  /** What the targets were: the objective, or its value at the early-stopping epoch. */
  target: string;
  train: { spearman: number; kendall: number; mae: number };
  losses: number[];
  cpuSeconds: number;
  weights: string;
}

export interface NarsRound {
  round: number;
  how: 'qmc' | 'predicted';
  candidates: NarsCandidate[];
  /** Epochs its candidates train (early stopping), or null for all. */
  stopAfterEpochs: number | null;
  refit: NarsRefitRecord | null;
  /** How many unevaluated pool pairs it was picked from. */
  pickedFrom: number;
}

export interface NarsAnswerRecord {
  budget: string;
  /** The refit (round) whose predictor answered. */
  round: number;
  arch: string;
  predicted: number;
  costs: ArchCosts;
  cpuSeconds: number;
  generations: number;
  scored: number;
  stopped: 'generations' | 'patience' | 'exhausted';
  seeds: number;
  /** Best predicted score after each generation. */
  bestByGeneration: number[];
  /** The best stage-2 candidate within the budget: its measured objective and predicted score. */
  stage2: { arch: string; measured: number; predicted: number; trial: number } | null;
  /** The budget's own refit (`evaluate`: answerRefine.ts): its round and the evaluations within the budget. */
  refined?: { round: number; evaluations: number };
  /** The answer's evaluation with the study's evaluator, when asked. */
  metrics: Record<string, number> | null;
  error: string | null;
}

export const NARS_STATE = {
  settings: stateKey<NarsSettings>('nars.settings'),
  pool: stateKey<NarsPoolRecord>('nars.pool'),
  pretrain: stateKey<NarsPretrainRecord>('nars.pretrain'),
  rounds: stateKey<NarsRound[]>('nars.rounds'),
  earlyStop: stateKey<EarlyStopDecision>('nars.earlyStop'),
  answers: stateKey<Record<string, NarsAnswerRecord>>('nars.answers'),
} as const;

/** Where weights go in the study directory. */
export const NARS_DIR = 'nars';
