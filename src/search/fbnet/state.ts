// What a DNAS study keeps in its state (typed keys): the supernet search's records and progress,
// its settings, and the proposals drawn once from the learned distribution.
import { stateKey } from '../../study/stateKey';
import type { CandidateCosts } from '../../supernet/candidateCosts';
import type { DnasEpochRecord } from './dnas';
import type { DnasProposals, ReportLayer } from './report';

export const DNAS_STATE = {
  /** The finished epochs' records (also in the checkpoint). */
  records: stateKey<readonly DnasEpochRecord[]>('dnas.records'),
  /** The search's epoch counter. */
  progress: stateKey<{ epochsDone: number; epochs: number; resumedFrom?: number }>('dnas.progress'),
  /** The supernet's layers, the cost unit and source. */
  search: stateKey<DnasSearchInfo>('dnas.search'),
  /** What ask proposes, what was dropped, and what a latency budget did. */
  proposals: stateKey<DnasStoredProposals>('dnas.proposals'),
} as const;

/** The supernet search's settings (state 'dnas.search'). */
export interface DnasSearchInfo {
  layers: ReportLayer[];
  costUnit: CandidateCosts['unit'];
  costSource: string;
  costRange: { min: number; max: number };
  epochs: number;
  warmupEpochs: number;
  settings: string;
  checkpoint: string;
}

/** What a latency budget did to the proposals (state 'dnas.proposals', field `budget`). */
export interface DnasBudgetOutcome {
  targetUs: number;
  /** The floor the proposals kept (`options.targetLatencyFloor` x targetUs); absent: none asked, or none reachable. */
  floorUs?: number;
  /** The per-layer argmax's table latency. */
  argmaxLatencyUs: number;
  /** The first proposal: the argmax (within the budget), the most probable architecture within it, or none (nothing fits). */
  first: 'dnas-argmax' | 'dnas-argmax-budget' | null;
  /** The cheapest architecture's table latency. */
  cheapestUs: number;
  /** The cost grid of the constrained argmax (µs); null when the argmax was within the budget. */
  gridUs: number | null;
  /** The conditional sampling: found of wanted, draws (of at most maxDraws), acceptance rate. */
  samples: { wanted: number; found: number; draws: number; maxDraws: number; accepted: number; acceptanceRate: number };
}

/** The stored proposals: with a latency budget, what it did. */
export type DnasStoredProposals = DnasProposals & { budget?: DnasBudgetOutcome };
