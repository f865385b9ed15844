// What a one-shot search (SPOS, ABS) keeps in its study's state, under typed keys: the supernet's
// training per phase, ABS's shrinking rounds, the one-shot fitness of every path measured (so a
// killed evolution resumes without measuring a path twice), the evolution's record and what the
// study trains. The supernet's weights are checkpoint files in the study directory (artifacts).
import type { GenerationRecord, Origin } from '../genetic';
import type { OneShotEpochRecord } from '../../supernet/oneShotTraining';
import type { OpScore } from '../../supernet/angleShrinking';
import { stateKey } from '../../study/stateKey';

/** One training phase of the supernet: the first (phase 0) or the one after an ABS round. */
export interface TrainingPhase {
  phase: number;
  epochs: number;
  records: OneShotEpochRecord[];
  /** Where its checkpoint is, relative to the study directory. */
  checkpoint: string;
}

/** One ABS round: the scores of the ops still in the space, what was dropped, the space after. */
export interface ShrinkRound {
  round: number;
  scores: OpScore[];
  dropped: Array<{ layer: number; key: string; name: string; score: number }>;
  pathsBefore: number;
  pathsAfter: number;
  /** The active ops after the round, per layer (candidate indices). */
  active: number[][];
  /** Sampled paths the scores are over, and the sampler's draws. */
  paths: number;
  seconds: number;
}

export interface EvaluatedPath {
  arch: string;
  indices: number[];
  fitness: number;
  generation: number;
  origin: Origin;
  flops: number | null;
}

export interface EvolutionRecord {
  history: GenerationRecord[];
  evaluated: EvaluatedPath[];
  /** The space searched (after any shrinking): per layer the op names. */
  space: string[];
  stopped: 'generations' | 'patience' | 'exhausted';
  recalBatches: number;
  valImages: number;
  seconds: number;
}

export interface OneShotProposal {
  arch: string;
  /** Its one-shot fitness (validation accuracy with the supernet's weights). */
  fitness: number;
  rank: number;
}

export const ONE_SHOT_STATE = {
  training: stateKey<TrainingPhase[]>('spos.training'),
  rounds: stateKey<ShrinkRound[]>('abs.rounds'),
  /** Path key (indices joined by '-') -> one-shot fitness. */
  fitness: stateKey<Record<string, number>>('spos.fitness'),
  evolution: stateKey<EvolutionRecord>('spos.evolution'),
  /** Present once the search is done: what the study trains from scratch. */
  proposals: stateKey<OneShotProposal[]>('spos.proposals'),
} as const;
