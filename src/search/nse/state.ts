// What an NSE study keeps in its state (typed keys): every finished round, where the run is, its
// settings, and what it trains from scratch.
import { stateKey } from '../../study/stateKey';
import type { NseReportLayer } from './report';
import type { NseRoundRecord } from './rounds';

/** One architecture NSE trains from scratch. */
export interface NseProposal {
  arch: string;
  /** 'nse-final', or 'nse-round-<r>' (`roundTrials`). */
  source: string;
  /** The space it was chosen from: the rounds file and the round ('nse/rounds.json#round-3'). */
  space: string;
  round: number;
}

export interface NseSearchInfo {
  layers: NseReportLayer[];
  settings: string;
  plannedRounds: number;
  threshold: number;
}

export const NSE_STATE = {
  /** Every finished round (subset, scores, chosen architecture, dropped, added, epochs). */
  rounds: stateKey<readonly NseRoundRecord[]>('nse.rounds'),
  /** Where the run is: the round in progress and its epochs done. */
  progress: stateKey<{ round: number; epochsDone: number; epochs: number; roundsDone: number; plannedRounds: number }>(
    'nse.progress',
  ),
  search: stateKey<NseSearchInfo>('nse.search'),
  /** What ask proposes; its presence means the rounds are done. */
  proposals: stateKey<readonly NseProposal[]>('nse.proposals'),
} as const;
